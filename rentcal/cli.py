"""The `rentcal` command: up, web, worker, migrate, seed, token."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence

from rentcal import logs, sync_cli
from rentcal.embedded import ensure_services
from rentcal.settings import get_settings
from rentcal.standins import DEFAULT_GOOGLE_SANDBOX_PORT, DEFAULT_SMTP_SINK_PORT, port_is_free, stand_ins
from rentcal.supervise import Child, Supervisor


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
    # An idle queue is polled every 100 ms rather than Dramatiq's 1 s, so the first push after a quiet spell
    # does not wait up to a second (commit-to-calendar latency); it costs ten small Redis calls a second.
    worker = Worker(broker, worker_threads=threads, worker_timeout=100)
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


def cmd_up(args: argparse.Namespace) -> None:
    """Migrate, seed, then run the stand-ins, web and worker until Ctrl+C / SIGTERM (status 0) or until
    one of them exits (named with its last lines, status 1)."""
    if not port_is_free(args.port, args.host):
        raise SystemExit(f"rentcal up: port {args.port} is in use (another Rentcal?); choose another with --port")
    asyncio.run(migrate())
    created = asyncio.run(seed_demo())
    env = os.environ.copy()
    base = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '127.0.0.1') else args.host}:{args.port}"
    env.setdefault("RENTCAL_BASE_URL", base)
    supervisor = Supervisor()
    for stand_in in stand_ins(env, get_settings().data_dir, args.google_sandbox_port, args.smtp_sink_port):
        if stand_in.notice:
            print(stand_in.notice, flush=True)
        supervisor.start(stand_in.name, stand_in.command, env)
    web = [sys.executable, "-m", "rentcal.cli", "web", "--port", str(args.port), "--host", args.host]
    supervisor.start("web", web, env)
    supervisor.start("worker", [sys.executable, "-m", "rentcal.cli", "worker"], env)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    dead = None
    try:
        dead = _wait_until_serving(supervisor, f"{base}/health", lambda: stop)
        if dead is None and not stop:
            _banner(base, created, env)
            dead = supervisor.watch(lambda: stop)
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop_all()
        from rentcal.embedded import stop_all

        stop_all()
    if dead is not None:
        print(dead.describe_exit(), file=sys.stderr, flush=True)
        raise SystemExit(1)


def _wait_until_serving(supervisor: Supervisor, health: str, stop: Callable[[], bool]) -> Child | None:
    """Wait for the web process to answer; a child that exits meanwhile is returned."""
    import httpx

    while not stop():
        dead = supervisor.exited()
        if dead is not None:
            return dead
        try:
            httpx.get(health, timeout=2)
            return None
        except httpx.HTTPError:
            time.sleep(0.3)
    return None


def _banner(base: str, created: bool, env: dict[str, str]) -> None:
    print(f"\nRentcal is running at {base}  (API schema: {base}/schema)", flush=True)
    print(f"Demo data {'created' if created else 'already present'}. Log in with:", flush=True)
    for email in ("manager@demo.test", "driver@demo.test", "tech@demo.test"):
        print(f"  {email}  /  rentcal-demo", flush=True)
    print("Press Ctrl+C to stop.\n", flush=True)


def _port_setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"rentcal: {name} must be a port number (1-65535), not {raw!r}")
    return int(raw)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rentcal", description="Rentcal calendar integration")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="migrate, seed demo data, run web + worker")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument(
        "--google-sandbox-port",
        type=int,
        default=_port_setting("RENTCAL_GOOGLE_SANDBOX_PORT", DEFAULT_GOOGLE_SANDBOX_PORT),
        help="port of the local Google sandbox (a free one when taken)",
    )
    up.add_argument(
        "--smtp-sink-port",
        type=int,
        default=_port_setting("RENTCAL_SMTP_SINK_PORT", DEFAULT_SMTP_SINK_PORT),
        help="port of the local SMTP sink (a free one when taken)",
    )
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
        cmd_up(args)
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
