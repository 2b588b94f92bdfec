"""Slash commands in pull-request comments, parsed without side effects.

    /maestro waive <obligation> <reason…> [--until YYYY-MM-DD | --days N] [--owner @user]
    /maestro recheck                                     recompute the Proof Card
    /maestro help                                        list the commands

Options may stand anywhere after `waive` (`--until=2026-04-01` works too); the first other word
is the obligation and the rest is the reason. `--` ends the options: every word after it is
reason text, even one starting with `--`. An unknown `--option` is an error rather than silently
becoming part of the reason. Only the first line that starts with `/maestro` counts; anything
else in the comment is prose. Whether the date is in the future and within the policy's limits
is decided by the waiver rules (`checks.obligations.waivers`), not here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel

PREFIX = "/maestro"
MAX_REASON_CHARS = 500
MAX_DAYS = 365
_OBLIGATION = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9][A-Za-z0-9_.-]{0,99})?$")
_LOGIN = re.compile(r"^@?([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
USAGE = (
    "/maestro waive <obligation> <reason> [--until YYYY-MM-DD] [--owner @user]  |  "
    "/maestro recheck  |  /maestro help"
)
OPTIONS = ("--until", "--days", "--owner")


class Command(BaseModel):
    name: Literal["waive", "recheck", "help"]
    obligation: str = ""
    days: int | None = None
    until: date | None = None
    owner: str | None = None  # a GitHub login, without the '@'
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


def format_command(command: Command) -> str:
    """The canonical `/maestro …` line for `command`; parsing it gives `command` back."""
    if command.name != "waive":
        return f"{PREFIX} {command.name}"
    parts = [PREFIX, "waive", command.obligation]
    if command.until is not None:
        parts += ["--until", command.until.isoformat()]
    if command.days is not None:
        parts += ["--days", str(command.days)]
    if command.owner:
        parts += ["--owner", "@" + command.owner]
    words = command.reason.split()
    if any(w.startswith("--") for w in words):
        parts.append("--")
    return " ".join(parts + words)


def _option_value(
    name: str, value: str | None, line: str
) -> tuple[str, int | date | str] | CommandError:
    if name == "--days":
        if value is None or not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
            return CommandError(
                line=line, message=f"--days needs a whole number from 1 to {MAX_DAYS}"
            )
        return name, int(value)
    if name == "--until":
        try:
            if value is None or not _DATE.match(value):
                raise ValueError
            return name, date.fromisoformat(value)
        except ValueError:
            return CommandError(line=line, message="--until needs a date as YYYY-MM-DD")
    match = _LOGIN.match(value or "")
    if match is None:
        return CommandError(line=line, message="--owner needs a GitHub user, e.g. --owner @octocat")
    return name, match.group(1)


def _parse_line(line: str) -> Command | CommandError:
    words = line.split()[1:]
    if not words:
        return CommandError(line=line, message=f"missing command; usage: {USAGE}")
    verb, rest = words[0].lower(), words[1:]
    if verb in ("recheck", "help"):
        return Command(name=verb)  # type: ignore[arg-type]
    if verb != "waive":
        return CommandError(line=line, message=f"unknown command {verb!r}; usage: {USAGE}")
    options: dict[str, int | date | str] = {}
    plain: list[str] = []
    i = 0
    while i < len(rest):
        word = rest[i]
        if word == "--":
            plain += rest[i + 1 :]
            break
        if not word.startswith("--"):
            plain.append(word)
            i += 1
            continue
        name, eq, inline = word.partition("=")
        if name not in OPTIONS:
            return CommandError(
                line=line, message=f"unknown option {name!r}; options: {', '.join(OPTIONS)}"
            )
        if name in options:
            return CommandError(line=line, message=f"{name} is given twice")
        value = inline if eq else (rest[i + 1] if i + 1 < len(rest) else None)
        parsed = _option_value(name, value, line)
        if isinstance(parsed, CommandError):
            return parsed
        options[name] = parsed[1]
        i += 1 if eq else 2
    if "--until" in options and "--days" in options:
        return CommandError(line=line, message="give either --until or --days, not both")
    if not plain:
        return CommandError(line=line, message="waive needs an obligation and a reason")
    obligation, reason_words = plain[0], plain[1:]
    if not _OBLIGATION.match(obligation):
        return CommandError(line=line, message=f"{obligation!r} is not an obligation name")
    reason = " ".join(reason_words).strip()
    if not reason:
        return CommandError(line=line, message="a waiver needs a reason after the obligation")
    days, until, owner = options.get("--days"), options.get("--until"), options.get("--owner")
    return Command(
        name="waive",
        obligation=obligation,
        days=days if isinstance(days, int) else None,
        until=until if isinstance(until, date) else None,
        owner=owner if isinstance(owner, str) else None,
        reason=reason[:MAX_REASON_CHARS].rstrip(),
    )
