"""Slash commands in pull-request comments, parsed without side effects.

    /maestro waive <obligation> [--days N] <reason…>   waive one obligation on this head commit
    /maestro recheck                                     recompute the Proof Card
    /maestro help                                        list the commands

Only the first line that starts with `/maestro` counts; anything else in the comment is prose.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

PREFIX = "/maestro"
MAX_REASON_CHARS = 500
_OBLIGATION = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9][A-Za-z0-9_.-]{0,99})?$")
USAGE = "/maestro waive <obligation> [--days N] <reason>  |  /maestro recheck  |  /maestro help"


class Command(BaseModel):
    name: Literal["waive", "recheck", "help"]
    obligation: str = ""
    days: int | None = None
    reason: str = ""


class CommandError(BaseModel):
    """A `/maestro` line that could not be understood; `message` says why."""

    line: str
    message: str


def parse_command(body: str | None) -> Command | CommandError | None:
    """The command in a comment body; None when the comment has no `/maestro` line."""
    for raw in (body or "").splitlines():
        line = raw.strip()
        if line == PREFIX or line.startswith(PREFIX + " "):
            return _parse_line(line)
    return None


def _parse_line(line: str) -> Command | CommandError:
    words = line.split()[1:]
    if not words:
        return CommandError(line=line, message=f"missing command; usage: {USAGE}")
    verb, rest = words[0].lower(), words[1:]
    if verb in ("recheck", "help"):
        return Command(name=verb)  # type: ignore[arg-type]
    if verb != "waive":
        return CommandError(line=line, message=f"unknown command {verb!r}; usage: {USAGE}")
    if not rest:
        return CommandError(line=line, message="waive needs an obligation and a reason")
    obligation, rest = rest[0], rest[1:]
    if not _OBLIGATION.match(obligation):
        return CommandError(line=line, message=f"{obligation!r} is not an obligation name")
    days: int | None = None
    if rest and rest[0] == "--days":
        if len(rest) < 2 or not rest[1].isdigit() or not 1 <= int(rest[1]) <= 365:
            return CommandError(line=line, message="--days needs a whole number from 1 to 365")
        days, rest = int(rest[1]), rest[2:]
    reason = " ".join(rest).strip()
    if not reason:
        return CommandError(line=line, message="a waiver needs a reason after the obligation")
    return Command(name="waive", obligation=obligation, days=days, reason=reason[:MAX_REASON_CHARS])
