"""Jinja2 environments for Markdown cards and HTML pages, both loading from `templates/`.

Also fits the Proof Card into GitHub's check-run summary limit: a longer card is cut at a line
break and ends with a link to the whole card on Maestro's own page (`/cards/…`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from checks.evidence.model import EvidenceProblem
from checks.explain import (
    actual_text,
    card_title,
    fact_sentence,
    policy_problem_sentence,
    problem_sentence,
    required_text,
    sentence,
    value_text,
    waiver_reason_text,
)
from checks.policy.parse import PolicyProblem
from checks.proofcard import ProofCard

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATUS_ICONS = {
    "passed": "✅",
    "failed": "❌",
    "pending": "⏳",
    "waived": "🟡",
    "not_required": "➖",
    "raised_risk": "⚠️",
    "reset_approvals": "⚠️",
}
STATUS_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "pending": "pending",
    "waived": "waived",
    "not_required": "not required",
    "raised_risk": "raised risk",
    "reset_approvals": "reset approvals",
}
# Guard effects shown in the table although they do not gate on their own.
GUARD_EFFECTS = {
    "guard_raised_risk": "raised_risk",
    "guard_invalidated_approvals": "reset_approvals",
}

# GitHub rejects check-run summaries over 65,535 characters.
MAX_SUMMARY_CHARS = 65_535


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "—" if value is None else str(value)


def _cell(value: object) -> str:
    """Text safe inside one Markdown table cell: pipes escaped, line breaks as <br>."""
    return str(value).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _display(result: Any) -> str:
    """The status a row shows: the result's status, or the effect of a guard that does not hold."""
    return GUARD_EFFECTS.get(result.reason, result.status.value)


def _problem(data: Mapping[str, Any]) -> str:
    return problem_sentence(EvidenceProblem.model_validate(data))


def _policy_problem(data: Mapping[str, Any]) -> str:
    return policy_problem_sentence(PolicyProblem.model_validate(data))


def _install_filters(env: Environment) -> None:
    env.filters.update(
        sentence=sentence,
        fmt=_fmt,
        cell=_cell,
        required=required_text,
        actual=actual_text,
        value=value_text,
        fact=fact_sentence,
        problem=_problem,
        policy_problem=_policy_problem,
        waiver_reason=waiver_reason_text,
        display=_display,
    )
    env.globals.update(status_icons=STATUS_ICONS, status_words=STATUS_WORDS)


@cache
def markdown_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=False,  # GitHub renders the Markdown; HTML pages use html_env()
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    _install_filters(env)
    return env


@cache
def partial_env() -> Environment:
    """Jinja's default whitespace handling, for partials written for it (e.g. the Decision Card)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=False, undefined=StrictUndefined
    )
    env.filters["sentence"] = sentence
    env.filters["fmt"] = _fmt
    return env


@cache
def html_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    _install_filters(env)
    return env


def render_proof_card(card: ProofCard, full_card_url: str | None = None) -> tuple[str, str]:
    """(title, Markdown summary) for the check-run output, cut to GitHub's limit with a link to
    `full_card_url` when the card is longer."""
    summary = markdown_env().get_template("proof_card.md.j2").render(card=card)
    return card_title(card), fit_summary(summary, full_card_url)


def fit_summary(summary: str, full_card_url: str | None, limit: int = MAX_SUMMARY_CHARS) -> str:
    """`summary` itself when it fits; else its head, cut at a line break, and the link."""
    if len(summary) <= limit:
        return summary
    note = (
        markdown_env()
        .get_template("proof_card_cut.md.j2")
        .render(url=full_card_url, shown=0, total=len(summary))
    )
    head = summary[: max(0, limit - len(note) - 64)]
    if "\n" in head:
        head = head[: head.rindex("\n")]
    # Close what the cut left open, so the link is not hidden inside a folded section.
    head += "\n\n</details>" * max(0, head.count("<details") - head.count("</details>"))
    note = (
        markdown_env()
        .get_template("proof_card_cut.md.j2")
        .render(url=full_card_url, shown=len(head), total=len(summary))
    )
    return head + note


def render_card_page(card: ProofCard, **context: object) -> str:
    """The whole Proof Card as an HTML page (Maestro's own `/cards/…` page)."""
    return (
        html_env()
        .get_template("proof_card.html.j2")
        .render(card=card, title=card_title(card), **context)
    )
