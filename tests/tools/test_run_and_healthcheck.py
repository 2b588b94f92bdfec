"""`make run` leaves host and port to the settings (so `.env` is honoured) unless MAESTRO_PORT is
given to make; the Dockerfile's HEALTHCHECK probes the configured port."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from support.servers import serve

from app.main import Services

ROOT = Path(__file__).resolve().parents[2]


def _serve_line(*make_args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["make", "-n", "run", *make_args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return next(line for line in result.stdout.splitlines() if "maestro serve" in line)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_passes_a_port_only_when_make_is_given_one() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAESTRO_")}
    line = _serve_line(env=clean)
    assert "--port" not in line and "--host" not in line, line
    assert _serve_line(env={**clean, "MAESTRO_PORT": "9000"}).endswith("serve --port 9000")
    assert _serve_line("MAESTRO_PORT=9001", env=clean).endswith("serve --port 9001")


def _healthcheck_command() -> list[str]:
    dockerfile = (ROOT / "Dockerfile").read_text()
    match = re.search(r"^HEALTHCHECK .*? CMD (.+)$", dockerfile, re.MULTILINE)
    assert match, "the Dockerfile has a HEALTHCHECK"
    command = shlex.split(match.group(1))
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_docker_healthcheck_probes_the_configured_port(
    services: Services, tmp_path: Path
) -> None:
    command = _healthcheck_command()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAESTRO_")}
    clean["PYTHONPATH"] = str(ROOT)

    async def probe(port: int) -> int:
        process = await asyncio.create_subprocess_exec(
            *command,
            env={**clean, "MAESTRO_PORT": str(port)},
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return await process.wait()

    async with serve(services.app) as url:  # type: ignore[attr-defined]
        port = int(url.rsplit(":", 1)[1])
        assert await probe(port) == 0
        assert await probe(_free_port()) != 0
