"""Webhook ingest throughput: `maestro serve` (SQLite, every delivery durably stored) vs a bare
Starlette endpoint that answers 202 without work, measured in the same run over loopback.

Both servers run as separate uvicorn processes; a client process posts signed real
`pull_request.opened` deliveries with a fixed concurrency and reports requests/s and p50/p95
latency for each, then the ratio. Target: Maestro ≥ 50% of the bare endpoint's throughput.

Exit status: 0 when every delivery sent to Maestro was acknowledged and is stored; 1 (with a
WARNING line) when any is missing, which is a correctness failure, not a slow run. Whether the
throughput target was met is printed either way. `BENCH_REQUESTS=50` makes a quick check run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.webhook import sign  # noqa: E402

PAYLOAD = ROOT / "tests" / "fixtures" / "webhooks" / "pull_request" / "opened.payload.json"
SECRET = "bench-secret"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
TARGET_RATIO = 0.5

BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def webhook(request):
    await request.body()
    return JSONResponse({"ok": True}, status_code=202)

app = Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


async def load(base_url: str, body: bytes) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    stored = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(i)
    signature = sign(SECRET, body)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal stored
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            headers = {
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": signature,
                "Content-Type": "application/json",
            }
            start = time.perf_counter()
            response = await client.post("/webhook", content=body, headers=headers)
            latencies.append(time.perf_counter() - start)
            if response.status_code == 202:
                stored += 1

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return REQUESTS / elapsed, latencies, stored


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> int:
    body = PAYLOAD.read_bytes()
    workdir = Path(tempfile.mkdtemp(prefix="maestro-bench-"))
    (workdir / "bare_app.py").write_text(BARE_APP)
    env = {
        **os.environ,
        "MAESTRO_WEBHOOK_SECRET": SECRET,
        "MAESTRO_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/bench.db",
        "MAESTRO_WORKER_ENABLED": "false",  # measure ingest, not the handlers
        "PYTHONPATH": str(ROOT),
    }
    python = sys.executable
    results = {}
    acknowledged: dict[str, int] = {}
    try:
        for name, cmd in (
            ("bare starlette", [python, "-m", "uvicorn", "bare_app:app"]),
            ("maestro serve", [python, "-m", "app.cli", "serve", "--log-level", "warning"]),
        ):
            port = free_port()
            if name == "maestro serve":
                full = [*cmd, "--port", str(port)]
            else:
                full = [*cmd, "--port", str(port), "--log-level", "warning"]
            proc = subprocess.Popen(full, cwd=workdir, env=env)
            try:
                base = f"http://127.0.0.1:{port}"
                wait_ready(base + ("/healthz" if name == "maestro serve" else "/"), proc)
                _, _, warmup_stored = asyncio.run(load(base, body))  # warm-up run, discarded
                rps, latencies, stored = asyncio.run(load(base, body))
                results[name] = (rps, pct(latencies, 50), pct(latencies, 95), stored)
                acknowledged[name] = warmup_stored + stored
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        if "maestro serve" in results:
            import sqlite3

            count = (
                sqlite3.connect(workdir / "bench.db")
                .execute("SELECT count(*) FROM deliveries")
                .fetchone()[0]
            )
        else:
            count = 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"webhook ingest: {REQUESTS} signed pull_request.opened posts, concurrency {CONCURRENCY}")
    for name, (rps, p50, p95, stored) in results.items():
        print(
            f"  {name:<15} {rps:8.1f} req/s   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   202s {stored}"
        )
    ratio = results["maestro serve"][0] / results["bare starlette"][0]
    lines, code = verdict(2 * REQUESTS, acknowledged["maestro serve"], count, ratio)
    print("\n".join(lines))
    return code


def verdict(sent: int, acknowledged: int, stored: int, ratio: float) -> tuple[list[str], int]:
    """The closing lines and the exit status: 1 when a delivery sent to Maestro was not
    acknowledged with 202 or is not in its database (`sent` counts the warm-up run too)."""
    met = "met" if ratio >= TARGET_RATIO else "NOT met"
    lines = [
        f"  deliveries durably stored by maestro: {stored} of {sent} sent (warm-up + measured run)",
        f"  ratio maestro / bare = {ratio:.2f} (target >= {TARGET_RATIO:.2f}: {met})",
    ]
    if stored != sent:
        lines.append(
            f"WARNING: {sent - stored} of {sent} deliveries sent to maestro are not stored"
        )
    if acknowledged != sent:
        lines.append(f"WARNING: {sent - acknowledged} of {sent} deliveries were not answered 202")
    return lines, 1 if (stored != sent or acknowledged != sent) else 0


if __name__ == "__main__":
    sys.exit(main())
