"""Combines every feature's router into the one the inbox worker dispatches to."""

from __future__ import annotations

from gidgethub import routing

from handlers import (
    check_runs,
    comments,
    installations,
    pull_requests,
    pushes,
    reviews,
    timeouts,
    workflow_runs,
)


def build_router() -> routing.Router:
    return routing.Router(
        installations.router,
        pull_requests.router,
        check_runs.router,
        timeouts.router,
        workflow_runs.router,
        comments.router,
        pushes.router,
        reviews.router,
    )
