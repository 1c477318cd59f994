"""``python -m sandboxes.google --port 8801 [--host 127.0.0.1] [--base-url URL] [--redirect-uri URI ...]``."""

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
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="register an OAuth redirect URI (repeatable; others get redirect_uri_mismatch)",
    )
    parser.add_argument(
        "--rotate-refresh-tokens",
        action="store_true",
        help="every refresh returns a new refresh token and ends the old one (as Microsoft does)",
    )
    parser.add_argument("--log-level", default="warning")
    parser.add_argument(
        "--allow-http-webhooks", action="store_true", help="accept http:// webhook addresses (Google requires https)"
    )
    args = parser.parse_args(argv)
    app = create_app(
        args.base_url or f"http://{args.host}:{args.port}",
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl_seconds=args.token_ttl,
        time_zone=args.time_zone,
        seed_events=not args.no_seed_events,
        discovery_path=args.discovery,
        allow_http_webhooks=args.allow_http_webhooks,
        redirect_uris=tuple(args.redirect_uri),
        rotate_refresh_tokens=args.rotate_refresh_tokens,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
