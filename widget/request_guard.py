"""Limits on website requests, counted in Redis: each form token once, so many a day per client and per e-mail.

A request holds stock, so an anonymous client must not be able to post the same form again and again
(the token is single-use) or fill a calendar with requests (RENTCAL_REQUESTS_PER_CLIENT_PER_DAY and
RENTCAL_REQUESTS_PER_EMAIL_PER_DAY, counted per company slug and UTC day). When Redis is unreachable the
request is served and the log says so, as for the public rate limit.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError

from rentcal.settings import get_settings
from widget import tokens

log = logging.getLogger("rentcal.widget")
DAY = 24 * 60 * 60
Refusal = Literal["token_used", "too_many_requests"]

_redis: Redis | None = None


def _client() -> Redis:
    global _redis
    if _redis is None:
        _redis = Redis.from_url(get_settings().redis_url)
    return _redis


async def use_token(token: str) -> bool:
    """True the first time a (valid) form token is used, False after."""
    key = "rentcal:formtoken:" + hashlib.sha256(token.encode()).hexdigest()
    return bool(await _client().set(key, "1", nx=True, ex=tokens.MAX_AGE_SECONDS + 120))


async def _within_day(prefix: str, who: str, limit: int) -> bool:
    """Count one request of `who` in today's window, shared by every process through Redis."""
    key = f"{prefix}:{who}:{int(time.time()) // DAY}"
    async with _client().pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, DAY + 60)
        count, _ = await pipe.execute()
    return int(count) <= limit


async def admit(company: str, client: str, email: str, token: str) -> Refusal | None:
    """None when the request may go ahead; else why not (a message key in widget.i18n)."""
    settings = get_settings()
    try:
        if not await use_token(token):
            return "token_used"
        if not await _within_day(
            "rentcal:req:email", f"{company}:{email.strip().lower()}", settings.requests_per_email_per_day
        ):
            return "too_many_requests"
        if not await _within_day("rentcal:req:client", f"{company}:{client}", settings.requests_per_client_per_day):
            return "too_many_requests"
    except RedisError:
        log.warning("request limits skipped: Redis is unreachable", exc_info=True)
    return None
