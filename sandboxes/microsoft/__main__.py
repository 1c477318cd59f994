"""``python -m sandboxes.microsoft --port 8802 [--host 127.0.0.1] [--base-url URL] ...``."""

from __future__ import annotations

import argparse

import uvicorn

from .app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandboxes.microsoft", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8802)
    parser.add_argument("--base-url", help="public URL of this server (default http://HOST:PORT)")
    parser.add_argument("--client-id", help="only accept this application (client) id (default: any)")
    parser.add_argument("--client-secret", help="require this client secret at /token (default: not checked)")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="a registered redirect URI (repeatable; default: any loopback http(s) URI)",
    )
    parser.add_argument("--token-ttl", type=int, default=3600, help="access-token lifetime in seconds")
    parser.add_argument(
        "--allow-http-webhooks", action="store_true", help="accept http:// notification URLs (Graph requires https)"
    )
    parser.add_argument(
        "--max-subscription-minutes",
        type=int,
        default=4230,
        help="longest subscription lifetime for events (Graph: 4230 minutes, about 3 days)",
    )
    parser.add_argument("--no-seed-events", action="store_true", help="start with empty calendars")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    app = create_app(
        args.base_url or f"http://{args.host}:{args.port}",
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=tuple(args.redirect_uri),
        token_ttl_seconds=args.token_ttl,
        seed_events=not args.no_seed_events,
        allow_http_webhooks=args.allow_http_webhooks,
        max_subscription_minutes=args.max_subscription_minutes,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
