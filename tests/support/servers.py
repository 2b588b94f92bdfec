"""Runs ASGI apps under real uvicorn on free loopback ports inside the test's event loop,
and a stand-in GitHub that answers the calls Maestro makes and records them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1:<free port>; yields its base URL."""
    sock = bound_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0)  # yield to the server task; no wall-clock wait
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


class StandInGitHub:
    """Enough of GitHub's REST API for one pull request, recording every request."""

    def __init__(
        self,
        files: list[dict[str, Any]],
        pull: dict[str, Any] | None = None,
        policy: str | None = None,
    ) -> None:
        self.files = files
        self.pull = pull or {}
        self.policy = policy
        self.requests: list[httpx.Request] = []
        self.completed = asyncio.Event()
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.app = Starlette(
            routes=[
                Route("/api/v3/{path:path}", self.handle, methods=["GET", "POST", "PATCH"]),
            ]
        )

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append(
            httpx.Request(
                request.method, str(request.url), headers=dict(request.headers), content=body
            )
        )
        path = "/" + request.path_params["path"]
        parts = path.strip("/").split("/")
        if request.method == "POST" and path.endswith("/access_tokens"):
            return JSONResponse(
                {"token": "ghs_standin", "expires_at": "2099-01-01T00:00:00Z"}, status_code=201
            )
        if request.method == "POST" and parts[-1] == "check-runs":
            run_id = len(self.check_runs) + 1
            self.check_runs[run_id] = json.loads(body)
            return JSONResponse({"id": run_id, **self.check_runs[run_id]}, status_code=201)
        if request.method == "PATCH" and parts[-2] == "check-runs":
            run = self.check_runs[int(parts[-1])]
            run.update(json.loads(body))
            if run.get("status") == "completed":
                self.completed.set()
            return JSONResponse({"id": int(parts[-1]), **run})
        if request.method == "GET" and parts[-1] == "files":
            return JSONResponse(self.files)
        if request.method == "GET" and parts[-1] == "reviews":
            return JSONResponse([])
        if request.method == "GET" and parts[-2] == "pulls":
            return JSONResponse(self.pull)
        if request.method == "GET" and "compare" in parts:
            from support.github import compare_response

            base = parts[-1].split("...", 1)[0]
            answer = compare_response(base, base, self.files)
            return Response(answer.content, answer.status_code, media_type="application/json")
        if request.method == "GET" and "contents" in parts and self.policy is not None:
            from support.github import contents_response

            answer = contents_response(self.policy)
            return Response(answer.content, answer.status_code, media_type="application/json")
        return JSONResponse({"message": "Not Found"}, status_code=404)
