"""The `rentcal` command: up, web, worker, migrate, seed, token."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from rentcal import logs, sync_cli
from rentcal.embedded import ensure_services
from rentcal.settings import get_settings


async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        raise SystemExit(f"migration failed: {result.message}")


async def seed_demo() -> bool:
    from rental.seed import seed_demo as seed

    return await seed()


async def create_token(email: str) -> str:
    from rental.accounts import create_api_token

    return await create_api_token(email)


def cmd_web(port: int, host: str) -> None:
    import uvicorn

    # X-Forwarded-For / -Proto are believed only from RENTCAL_TRUSTED_PROXIES (none by default):
    # anyone else could pick their own client address and walk past the rate limits.
    trusted = get_settings().trusted_proxies
    uvicorn.run(
        "portal.asgi:app",
        host=host,
        port=port,
        log_level="info",
        proxy_headers=bool(trusted),
        forwarded_allow_ips=list(trusted) or None,
    )


def cmd_worker(threads: int) -> None:
    """One process: Dramatiq worker threads plus the outbox dispatcher and periodic jobs.

    Everything shares one event loop (and so one database pool). Scale out by running more
    `rentcal worker` processes; there are no child processes that could outlive this one.
    """
    import asyncio as _asyncio

    from dramatiq import Worker
    from dramatiq.asyncio import get_event_loop_thread

    from tasks.actors import broker
    from tasks.dispatcher import run
    from tasks.schedule import PERIODIC

    settings = get_settings()
    worker = Worker(broker, worker_threads=threads)
    worker.start()
    # SIGTERM (docker stop, the test fixtures) must reach the finally below.
    signal.signal(signal.SIGTERM, _exit)
    future = None
    try:
        loop_thread = get_event_loop_thread()
        assert loop_thread is not None
        future = _asyncio.run_coroutine_threadsafe(
            run(settings.database_url, settings.outbox_poll_seconds, PERIODIC, settings.outbox_requeue_seconds),
            loop_thread.loop,
        )
        future.result()
    except KeyboardInterrupt:
        pass
    finally:
        if future is not None:
            future.cancel()
        worker.stop(timeout=10_000)


def _exit(*_: object) -> None:
    raise SystemExit(0)


def cmd_up(port: int, host: str) -> None:
    asyncio.run(migrate())
    created = asyncio.run(seed_demo())
    env = os.environ.copy()
    children = [
        *[subprocess.Popen(cmd, env=env) for cmd in extra_processes(env)],
        subprocess.Popen([sys.executable, "-m", "rentcal.cli", "web", "--port", str(port), "--host", host], env=env),
        subprocess.Popen([sys.executable, "-m", "rentcal.cli", "worker"], env=env),
    ]
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '127.0.0.1') else host}:{port}"
    print(f"\nRentcal is starting at {base}  (API schema: {base}/schema)", flush=True)
    print(f"Demo data {'created' if created else 'already present'}. Log in with:", flush=True)
    for email in ("manager@demo.test", "driver@demo.test", "tech@demo.test"):
        print(f"  {email}  /  rentcal-demo", flush=True)
    print("Press Ctrl+C to stop.\n", flush=True)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop and all(c.poll() is None for c in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        from rentcal.embedded import stop_all

        stop_all()


SANDBOX_PORT = 8801
MAIL_SINK_PORT = 8825


def extra_processes(env: dict[str, str]) -> list[list[str]]:
    """Local stand-ins started by `up`: the Google sandbox when no real Google credentials are set,
    an SMTP sink (mails kept in <data dir>/mail, shown in the portal) when RENTCAL_SMTP_URL is unset."""
    commands: list[list[str]] = []
    if not env.get("RENTCAL_GOOGLE_CLIENT_ID"):
        base = f"http://127.0.0.1:{SANDBOX_PORT}"
        callback = f"{get_settings().base_url}/oauth/google/callback"
        # http webhooks: the local demo has no https address (real Google requires one)
        commands.append(
            [
                sys.executable,
                "-m",
                "sandboxes.google",
                "--port",
                str(SANDBOX_PORT),
                "--redirect-uri",
                callback,
                "--allow-http-webhooks",
            ]
        )
        env.update(
            {
                "RENTCAL_ALLOW_HTTP_WEBHOOKS": "1",
                "RENTCAL_GOOGLE_AUTHORIZE_URL": f"{base}/o/oauth2/v2/auth",
                "RENTCAL_GOOGLE_TOKEN_URL": f"{base}/token",
                "RENTCAL_GOOGLE_REVOKE_URL": f"{base}/revoke",
                "RENTCAL_GOOGLE_USERINFO_URL": f"{base}/oauth2/v3/userinfo",
                "RENTCAL_GOOGLE_API_URL": f"{base}/calendar/v3",
            }
        )
        print(f"Google Calendar sandbox: {base} (no RENTCAL_GOOGLE_CLIENT_ID set)", flush=True)
    if not env.get("RENTCAL_MICROSOFT_CLIENT_ID"):
        commands.append(_microsoft_sandbox(env))
    if not env.get("RENTCAL_SMTP_URL"):
        maildir = str(get_settings().data_dir / "mail")
        commands.append(
            [sys.executable, "-m", "calendars.demo_mail", "--port", str(MAIL_SINK_PORT), "--maildir", maildir]
        )
        env.update({"RENTCAL_SMTP_URL": f"smtp://127.0.0.1:{MAIL_SINK_PORT}", "RENTCAL_DEMO_MAILDIR": maildir})
        print(f"Mail: local SMTP sink on port {MAIL_SINK_PORT}, see Mailbox (demo) in the portal", flush=True)
    from rentcal.caldav_demo import demo_command

    if caldav := demo_command(get_settings().data_dir, env):
        commands.append(caldav)
    return commands


MICROSOFT_SANDBOX_PORT = 8802


def _microsoft_sandbox(env: dict[str, str]) -> list[str]:
    """The Microsoft identity + Graph sandbox, with our callback registered and http webhooks allowed."""
    base = f"http://127.0.0.1:{MICROSOFT_SANDBOX_PORT}"
    callback = f"{get_settings().base_url}/oauth/microsoft/callback"
    env.update(
        {
            "RENTCAL_ALLOW_HTTP_WEBHOOKS": "1",
            "RENTCAL_MICROSOFT_AUTHORITY_URL": base,
            "RENTCAL_MICROSOFT_GRAPH_URL": f"{base}/v1.0",
        }
    )
    print(f"Microsoft 365 sandbox: {base} (no RENTCAL_MICROSOFT_CLIENT_ID set)", flush=True)
    return [
        sys.executable,
        "-m",
        "sandboxes.microsoft",
        "--port",
        str(MICROSOFT_SANDBOX_PORT),
        "--redirect-uri",
        callback,
        "--allow-http-webhooks",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rentcal", description="Rentcal calendar integration")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="migrate, seed demo data, run web + worker")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--host", default="127.0.0.1")
    web = sub.add_parser("web", help="run the web server")
    web.add_argument("--port", type=int, default=8000)
    web.add_argument("--host", default="127.0.0.1")
    worker = sub.add_parser("worker", help="run Dramatiq workers and the outbox dispatcher")
    worker.add_argument("--threads", type=int, default=4)
    sub.add_parser("migrate", help="apply database migrations")
    seed = sub.add_parser("seed", help="load data")
    seed.add_argument("--demo", action="store_true", required=True)
    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create an API token and print it")
    create.add_argument("--email", required=True)
    sync_cli.add_commands(sub)
    args = parser.parse_args(argv)

    logs.setup()
    try:
        get_settings().validate()  # every process refuses development secrets in production
    except RuntimeError as exc:
        raise SystemExit(f"rentcal: {exc}") from None
    ensure_services(get_settings().data_dir)
    if args.command == "up":
        cmd_up(args.port, args.host)
    elif args.command == "web":
        cmd_web(args.port, args.host)
    elif args.command == "worker":
        cmd_worker(args.threads)
    elif args.command == "migrate":
        asyncio.run(migrate())
        print("migrations applied")
    elif args.command == "seed":
        print("demo data created" if asyncio.run(seed_demo()) else "demo data already present")
    elif args.command == "sync":
        sync_cli.run(args)
    elif args.command == "token":
        from rental.errors import DomainError

        try:
            print(asyncio.run(create_token(args.email)))
        except DomainError as exc:
            raise SystemExit(f"rentcal: {exc.detail}") from None


if __name__ == "__main__":
    main()
