"""Shared bench helpers: a fresh database, a server process, a load loop, machine facts."""

from __future__ import annotations

import asyncio
import atexit
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def free_port() -> int:
    """A port nobody listens on right now, so a bench runs beside anything else."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database(prefix: str) -> str:
    """A new database named `prefix` plus a unique suffix on DATABASE_URL's server (or the embedded one),
    migrated, dropped again when the bench ends; and a private embedded Redis, so queues and caches
    are not shared with tests or servers using REDIS_URL. Returns the database URL."""
    from rentcal.embedded import ensure_services, start_redis, stop_all
    from rentcal.settings import get_settings

    atexit.register(stop_all)  # runs after the DROP registered below (atexit is last in, first out)
    server, _ = ensure_services(get_settings().data_dir)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = urlunsplit(urlsplit(server)._replace(path="/postgres"))

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    atexit.register(lambda: asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))
    url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = start_redis(Path(tempfile.mkdtemp(prefix="rentcal-bench-redis-")))
    get_settings.cache_clear()
    subprocess.run(
        [sys.executable, "-m", "rentcal.cli", "migrate"],
        check=True,
        env=os.environ.copy(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    print(f"bench database {name} (dropped at exit)", flush=True)
    return url


def start_server(args: list[str], port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server on port {port} did not start")


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    def row(self, label: str) -> str:
        return (
            f"| {label} | {self.rps:,.0f} | {statistics.median(self.latencies_ms):.1f} | "
            f"{self.pct(0.99):.1f} | {dict(self.statuses)} |"
        )


async def load(
    url: str, seconds: float, concurrency: int, headers: Callable[[], dict[str, str]] | None = None
) -> LoadResult:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one() -> None:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                response = await client.get(url, headers=headers() if headers else None)
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        t_start = time.perf_counter()
        await asyncio.gather(*[one() for _ in range(concurrency)])
        elapsed = time.perf_counter() - t_start
    return LoadResult(len(latencies), elapsed, latencies, statuses)
