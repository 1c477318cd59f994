"""Local stand-ins `rentcal up` starts when no real service is configured: the Google Calendar
sandbox (no RENTCAL_GOOGLE_CLIENT_ID), the Microsoft 365 sandbox (no RENTCAL_MICROSOFT_CLIENT_ID), an SMTP
sink (no RENTCAL_SMTP_URL) and a CalDAV server with demo accounts (unless RENTCAL_CALDAV_DEMO=0).

Their ports come from flags or RENTCAL_GOOGLE_SANDBOX_PORT / RENTCAL_MICROSOFT_SANDBOX_PORT /
RENTCAL_SMTP_SINK_PORT; a port that is taken is replaced by a free one, so two instances run side by side.
All of them ship with the package.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_GOOGLE_SANDBOX_PORT = 8801
DEFAULT_SMTP_SINK_PORT = 8825
DEFAULT_MICROSOFT_SANDBOX_PORT = 8802


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def pick_port(wanted: int, host: str = "127.0.0.1") -> int:
    """`wanted` when it is free, else (or for 0) any free port."""
    if wanted and port_is_free(wanted, host):
        return wanted
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class StandIn:
    name: str
    command: list[str]
    notice: str
    env: dict[str, str] = field(default_factory=dict)


def _port_notice(what: str, wanted: int, port: int) -> str:
    return "" if wanted in (0, port) else f" (port {wanted} is taken, so {what} uses {port})"


def google_sandbox(wanted_port: int, callback: str) -> StandIn:
    port = pick_port(wanted_port)
    base = f"http://127.0.0.1:{port}"
    return StandIn(
        name="google-sandbox",
        # our OAuth callback registered like a real client's; http webhooks because the demo has no https address
        command=[
            sys.executable,
            "-m",
            "sandboxes.google",
            "--port",
            str(port),
            "--redirect-uri",
            callback,
            "--allow-http-webhooks",
        ],
        notice=f"Google Calendar sandbox: {base} (no RENTCAL_GOOGLE_CLIENT_ID set)"
        + _port_notice("the sandbox", wanted_port, port),
        env={
            "RENTCAL_ALLOW_HTTP_WEBHOOKS": "1",
            "RENTCAL_GOOGLE_AUTHORIZE_URL": f"{base}/o/oauth2/v2/auth",
            "RENTCAL_GOOGLE_TOKEN_URL": f"{base}/token",
            "RENTCAL_GOOGLE_REVOKE_URL": f"{base}/revoke",
            "RENTCAL_GOOGLE_USERINFO_URL": f"{base}/oauth2/v3/userinfo",
            "RENTCAL_GOOGLE_API_URL": f"{base}/calendar/v3",
        },
    )


def microsoft_sandbox(wanted_port: int, callback: str) -> StandIn:
    """The Microsoft identity platform + Graph sandbox, our callback registered, http webhooks allowed."""
    port = pick_port(wanted_port)
    base = f"http://127.0.0.1:{port}"
    return StandIn(
        name="microsoft-sandbox",
        command=[
            sys.executable,
            "-m",
            "sandboxes.microsoft",
            "--port",
            str(port),
            "--redirect-uri",
            callback,
            "--allow-http-webhooks",
        ],
        notice=f"Microsoft 365 sandbox: {base} (no RENTCAL_MICROSOFT_CLIENT_ID set)"
        + _port_notice("the sandbox", wanted_port, port),
        env={
            "RENTCAL_ALLOW_HTTP_WEBHOOKS": "1",
            "RENTCAL_MICROSOFT_AUTHORITY_URL": base,
            "RENTCAL_MICROSOFT_GRAPH_URL": f"{base}/v1.0",
        },
    )


def smtp_sink(wanted_port: int, data_dir: Path) -> StandIn:
    port = pick_port(wanted_port)
    maildir = str(data_dir / "mail")
    return StandIn(
        name="smtp-sink",
        command=[sys.executable, "-m", "calendars.mail.demo_sink", "--port", str(port), "--maildir", maildir],
        notice=f"Mail: local SMTP sink on port {port}, see Mailbox (demo) in the portal"
        + _port_notice("the sink", wanted_port, port),
        env={"RENTCAL_SMTP_URL": f"smtp://127.0.0.1:{port}", "RENTCAL_DEMO_MAILDIR": maildir},
    )


def stand_ins(env: dict[str, str], data_dir: Path, sandbox_port: int, smtp_port: int) -> list[StandIn]:
    """The stand-ins this environment needs; `env` is updated with the settings that point at them."""
    needed: list[StandIn] = []
    if not env.get("RENTCAL_GOOGLE_CLIENT_ID"):
        base_url = env.get("RENTCAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        needed.append(google_sandbox(sandbox_port, f"{base_url}/oauth/google/callback"))
    if not env.get("RENTCAL_MICROSOFT_CLIENT_ID"):
        base_url = env.get("RENTCAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        microsoft_port = int(env.get("RENTCAL_MICROSOFT_SANDBOX_PORT") or DEFAULT_MICROSOFT_SANDBOX_PORT)
        needed.append(microsoft_sandbox(microsoft_port, f"{base_url}/oauth/microsoft/callback"))
    if not env.get("RENTCAL_SMTP_URL"):
        needed.append(smtp_sink(smtp_port, data_dir))
    for stand_in in needed:
        env.update(stand_in.env)
    from rentcal.caldav_demo import CALDAV_DEMO_PORT, demo_command

    if caldav := demo_command(data_dir, env, port=pick_port(CALDAV_DEMO_PORT)):
        needed.append(StandIn("caldav-demo", caldav, ""))
    return needed
