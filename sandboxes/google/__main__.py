"""``python -m sandboxes.google --port 8801 [--host 127.0.0.1] [--base-url URL]``."""

from __future__ import annotations

import argparse

import uvicorn

from .app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandboxes.google", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8801)
    parser.add_argument("--base-url", help="public URL of this server (default http://HOST:PORT)")
    parser.add_argument("--client-id", help="only accept this OAuth client_id (default: any)")
    parser.add_argument("--client-secret", help="require this client secret (default: not checked)")
    parser.add_argument("--token-ttl", type=int, default=3600, help="access-token lifetime in seconds")
    parser.add_argument("--time-zone", default="Europe/Berlin", help="time zone of every calendar")
    parser.add_argument("--no-seed-events", action="store_true", help="start with empty calendars")
    parser.add_argument("--discovery", help="path to calendar.v3.json (default: the copy shipped with the sandbox)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    app = create_app(
        args.base_url or f"http://{args.host}:{args.port}",
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl_seconds=args.token_ttl,
        time_zone=args.time_zone,
        seed_events=not args.no_seed_events,
        discovery_path=args.discovery,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
