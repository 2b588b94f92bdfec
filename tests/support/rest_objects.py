"""GitHub REST objects for tests, shaped as the API returns them: reviews and commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

REPO = "Codertocat/Hello-World"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": 1, "type": "User", "site_admin": False}


def review(login: str, state: str, commit_id: str, at: datetime, review_id: int = 80) -> dict:
    """One item of GET /repos/{owner}/{repo}/pulls/{n}/reviews."""
    return {
        "id": review_id,
        "node_id": "MDE3OlB1bGxSZXF1ZXN0UmV2aWV3ODA=",
        "user": _user(login),
        "body": "",
        "state": state,
        "html_url": f"https://github.com/{REPO}/pull/2#pullrequestreview-{review_id}",
        "pull_request_url": f"https://api.github.com/repos/{REPO}/pulls/2",
        "_links": {"html": {"href": "x"}, "pull_request": {"href": "y"}},
        "submitted_at": _iso(at),
        "commit_id": commit_id,
        "author_association": "COLLABORATOR",
    }


def commit(sha: str, message: str, at: datetime, files: list[str] | None = None) -> dict:
    """An item of GET …/pulls/{n}/commits or …/commits (with `files`: GET …/commits/{sha})."""
    person = {"name": "Mona", "email": "mona@example.com", "date": _iso(at)}
    item: dict[str, Any] = {
        "sha": sha,
        "node_id": "MDY6Q29tbWl0",
        "commit": {
            "author": person,
            "committer": person,
            "message": message,
            "tree": {"sha": "f" * 40, "url": "https://api.github.com/t"},
            "url": f"https://api.github.com/repos/{REPO}/git/commits/{sha}",
            "comment_count": 0,
        },
        "url": f"https://api.github.com/repos/{REPO}/commits/{sha}",
        "html_url": f"https://github.com/{REPO}/commit/{sha}",
        "comments_url": f"https://api.github.com/repos/{REPO}/commits/{sha}/comments",
        "author": _user("mona"),
        "committer": _user("mona"),
        "parents": [],
    }
    if files is not None:
        item["files"] = [
            {"sha": "a" * 40, "filename": f, "status": "modified", "additions": 1, "deletions": 1}
            for f in files
        ]
    return item
