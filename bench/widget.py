"""Widget benchmark: the public availability endpoint (fresh and 304) and the API calendar (bearer token)
against a bare Litestar app that returns a constant, each served by one uvicorn worker with the flags of
`rentcal web`, loaded by wrk in the same run, round after round. Then a freshness probe across two web
processes. Prints Markdown tables and the ratios.

    python -m bench.widget [--seconds 10] [--connections 32] [--rounds 3] [--probes 20]

Uses DATABASE_URL / REDIS_URL when set, else the embedded servers; the database is created afresh
(a unique name, dropped at exit) and filled with the demo company. The rate limit is raised so that it never
answers 429 here. Needs wrk (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from litestar import Litestar, get

from bench.common import ROOT, free_port, fresh_database, machine, start_server

LA = ZoneInfo("America/Los_Angeles")
HEADER = "| endpoint | req/s | p50 ms | p99 ms | non-2xx/3xx | ratio to bare | server CPU µs/req | CPU ratio |"


@get("/constant")
async def constant() -> dict[str, str]:
    return {"status": "ok"}


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def constant_app() -> Litestar:
    """Built in the server process only (uvicorn --factory): the bench's own process stays quiet."""
    return Litestar([constant, health])


def uvicorn_flags() -> list[str]:
    """As `rentcal web` runs uvicorn (rentcal.cli.cmd_web): log level info, proxy headers only if trusted."""
    from rentcal.settings import get_settings

    trusted = get_settings().trusted_proxies
    flags = ["--log-level", "info"]
    if trusted:
        return [*flags, "--proxy-headers", "--forwarded-allow-ips", ",".join(trusted)]
    return [*flags, "--no-proxy-headers"]


def serve_constant(port: int) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "uvicorn", "--factory", "bench.widget:constant_app", "--port", str(port)]
    return start_server(args + uvicorn_flags(), port)


def serve_app(port: int) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "rentcal.cli", "web", "--port", str(port)]
    return start_server(args, port, env={"RENTCAL_PUBLIC_RATE_LIMIT": str(10**9)})


def load_average() -> str:
    return f"{os.getloadavg()[0]:.2f}"


@dataclass
class Wrk:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    cpu_us: float = 0.0  # the server process's CPU time per request (user + system)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(server: subprocess.Popen[bytes], url: str, seconds: int, connections: int, headers: dict[str, str]) -> Wrk:
    before = cpu_seconds(server.pid)
    result = wrk(url, seconds, connections, headers)
    result.cpu_us = (cpu_seconds(server.pid) - before) / max(1, result.requests) * 1e6
    return result


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> Wrk:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Wrk(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        non_2xx_3xx=int(errors.group(1)) if errors else 0,
    )


def api_token() -> str:
    out = subprocess.run(
        [sys.executable, "-m", "rentcal.cli", "token", "create", "--email", "manager@demo.test"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return out.strip().splitlines()[-1]


def probe_freshness(a: str, b: str, token: str, samples: int) -> list[float]:
    """Book through process A; time from A's 201 until process B's availability answer shows it."""
    latencies: list[float] = []
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=10) as client:
        day = datetime.now(LA).date() + timedelta(days=200)
        while len(latencies) < samples and day < datetime.now(LA).date() + timedelta(days=1500):
            day += timedelta(days=1)
            url = f"{b}/public/v1/demo/products/1/availability?from={day}&to={day}"
            before = client.get(url).json()["days"][0]
            client.get(url)  # B now answers from its cache
            booking = {
                "product_id": 1,
                "starts_at": datetime(day.year, day.month, day.day, 9, tzinfo=LA).isoformat(),
                "ends_at": datetime(day.year, day.month, day.day, 17, tzinfo=LA).isoformat(),
                "customer": {"name": "Bench Customer", "email": "bench@example.test"},
            }
            if client.post(f"{a}/api/v1/bookings", json=booking, headers=auth).status_code != 201:
                continue  # a closed day, or the units are taken: try the next day
            committed = time.perf_counter()
            while client.get(url).json()["days"][0] == before:
                if time.perf_counter() - committed > 5:
                    raise RuntimeError(f"process B still shows {day} unchanged after 5 s")
            latencies.append((time.perf_counter() - committed) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit(
            "bench.widget needs wrk, a native load generator: apt-get install wrk (Debian/Ubuntu) or brew install wrk"
        )
    fresh_database("rentcal_bench_widget")  # a unique name, dropped at exit
    subprocess.run(
        [sys.executable, "-m", "rentcal.cli", "seed", "--demo"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    token = api_token()
    today = datetime.now(LA).date()
    public = f"/public/v1/demo/products/1/availability?from={today}&to={today + timedelta(days=29)}"
    calendar = f"/api/v1/products/1/calendar?from={today}&to={today + timedelta(days=87)}"

    ports = {name: free_port() for name in ("bare", "app", "second")}
    servers = [serve_constant(ports["bare"]), serve_app(ports["app"]), serve_app(ports["second"])]
    bare, app, second = (f"http://127.0.0.1:{ports[n]}" for n in ("bare", "app", "second"))
    auth = {"Authorization": f"Bearer {token}"}
    try:
        etag = httpx.get(app + public).headers["etag"]
        targets = [
            ("bare Litestar app, constant JSON", servers[0], bare + "/constant", {}),
            ("GET /public/v1/{slug}/products/{id}/availability (30 days)", servers[1], app + public, {}),
            ("same with If-None-Match (304)", servers[1], app + public, {"If-None-Match": etag}),
            ("GET /api/v1/products/{id}/calendar (88 days), bearer token", servers[1], app + calendar, auth),
        ]
        for _, _, url, headers in targets:
            wrk(url, 2, 8, headers)  # warm-up
        print(f"\nMachine: {machine()}; date {date.today()}; wrk -t1 -c{args.connections} -d{args.seconds}s")
        rounds: list[list[Wrk]] = []
        for n in range(args.rounds):
            print(f"\nRound {n + 1}, load average before {load_average()}\n")
            print(
                "| endpoint | req/s | p50 ms | p99 ms | non-2xx/3xx | ratio to bare | server CPU µs/req | CPU ratio |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- |")
            results = [measured(p, url, args.seconds, args.connections, headers) for _, p, url, headers in targets]
            rounds.append(results)
            for (label, _, _, _), r in zip(targets, results, strict=True):
                ratio, cpu_ratio = r.rps / results[0].rps, results[0].cpu_us / r.cpu_us
                print(
                    f"| {label} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.non_2xx_3xx} | {ratio:.2f} "
                    f"| {r.cpu_us:.0f} | {cpu_ratio:.2f} |"
                )
        print("\nRatios to the bare app over the rounds, min / median / max (req/s; server CPU per request):\n")
        for i, (label, _, _, _) in enumerate(targets[1:], start=1):
            ratios = [r[i].rps / r[0].rps for r in rounds]
            cpu = [r[0].cpu_us / r[i].cpu_us for r in rounds]
            print(
                f"- {label}: {min(ratios):.2f} / {statistics.median(ratios):.2f} / {max(ratios):.2f}; "
                f"{min(cpu):.2f} / {statistics.median(cpu):.2f} / {max(cpu):.2f}"
            )
        latencies = probe_freshness(app, second, token, args.probes)
        print(
            f"\nFreshness, booking through process A until process B's answer shows it ({len(latencies)} samples): "
            f"p50 {statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms"
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=15)


if __name__ == "__main__":
    main()
