"""OAuth state between 'connect' and the provider's redirect back: kept in Redis for 10 minutes.

The state is single-use and bound to the staff member who started the flow; the PKCE verifier
never leaves the server.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from calendars.integrations import PendingAuthorization
from rentcal.settings import get_settings

TTL_SECONDS = 600


def _redis() -> Redis:
    return Redis.from_url(get_settings().redis_url)


async def remember_authorization(pending: PendingAuthorization, staff_id: int) -> None:
    async with _redis() as redis:
        await redis.set(
            f"rentcal:oauth:{pending.state}",
            json.dumps({"staff_id": staff_id, "verifier": pending.code_verifier}),
            ex=TTL_SECONDS,
        )


async def take_authorization(state: str) -> tuple[int, str] | None:
    """(staff_id, code_verifier) for a state, once; None when unknown or expired."""
    async with _redis() as redis:
        raw = await redis.getdel(f"rentcal:oauth:{state}")
    if raw is None:
        return None
    data = json.loads(raw)
    return int(data["staff_id"]), str(data["verifier"])
