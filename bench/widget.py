"""Widget benchmark: the public availability endpoint, fresh and 304, against a bare Litestar app that
returns a constant, both served by one uvicorn worker in the same run. Prints a Markdown table.

    python -m bench.widget [--seconds 10] [--concurrency 32]

Uses DATABASE_URL / REDIS_URL when set, else the embedded servers; the database is created afresh
and filled with the demo company. The rate limit is raised so that it never answers 429 here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from litestar import Litestar, get

from bench.common import ROOT, LoadResult, free_port, fresh_database, load, machine, start_server

UVICORN_FLAGS = ["--log-level", "info", "--proxy-headers"]  # as `rentcal web` runs uvicorn


@get("/constant")
async def constant() -> dict[str, str]:
    return {"status": "ok"}


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def constant_app() -> Litestar:
    """Built in the server process only (uvicorn --factory): the bench's own process stays quiet."""
    return Litestar([constant, health])


def serve_constant(port: int) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "uvicorn", "--factory", "bench.widget:constant_app", "--port", str(port)]
    args += UVICORN_FLAGS
    return start_server(args, port)


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews the figures."""
    return f"{os.getloadavg()[0]:.2f}"


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=15)


async def measure(url: str, seconds: float, concurrency: int, etag: bool) -> LoadResult:
    conditional: dict[str, str] = {}
    if etag:
        async with httpx.AsyncClient() as client:
            conditional["If-None-Match"] = (await client.get(url)).headers["etag"]

    def headers() -> dict[str, str]:
        return conditional

    await load(url, 2, 8, headers)  # warm-up
    return await load(url, seconds, concurrency, headers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    fresh_database("rentcal_bench_widget")
    subprocess.run([sys.executable, "-m", "rentcal.cli", "seed", "--demo"], check=True, cwd=ROOT)
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    path = f"/public/v1/demo/products/1/availability?from={today}&to={today + timedelta(days=29)}"

    load_before = load_average()
    app_port, constant_port = free_port(), free_port()
    app = start_server(
        [sys.executable, "-m", "rentcal.cli", "web", "--port", str(app_port)],
        app_port,
        env={"RENTCAL_PUBLIC_RATE_LIMIT": str(10**9)},
    )
    try:
        fresh = asyncio.run(measure(f"http://127.0.0.1:{app_port}{path}", args.seconds, args.concurrency, False))
        cached = asyncio.run(measure(f"http://127.0.0.1:{app_port}{path}", args.seconds, args.concurrency, True))
    finally:
        stop(app)
    bare = serve_constant(constant_port)
    try:
        baseline = asyncio.run(
            measure(f"http://127.0.0.1:{constant_port}/constant", args.seconds, args.concurrency, False)
        )
    finally:
        stop(bare)

    print(f"\nMachine: {machine()}; date {date.today()}; load average before {load_before}, after {load_average()}")
    print(f"One uvicorn worker each, httpx.AsyncClient on the same machine, concurrency {args.concurrency}, ")
    print(f"{args.seconds:.0f} s per row; availability of the demo product over 30 days.\n")
    print("| endpoint | req/s | p50 ms | p99 ms | statuses |\n| --- | --- | --- | --- | --- |")
    print(fresh.row("GET /public/v1/{slug}/products/{id}/availability (fresh)"))
    print(cached.row("same with If-None-Match (304)"))
    print(baseline.row("bare Litestar app, constant JSON"))
    print(f"\nfresh / constant: {fresh.rps / baseline.rps:.2f}; 304 / constant: {cached.rps / baseline.rps:.2f}")


if __name__ == "__main__":
    main()
