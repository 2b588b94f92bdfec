"""Jinja2 environments for Markdown cards and HTML pages, both loading from `templates/`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from checks.explain import card_title, sentence
from checks.proofcard import ProofCard

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATUS_ICONS = {
    "passed": "✅",
    "failed": "❌",
    "pending": "⏳",
    "waived": "🟡",
    "not_required": "➖",
}


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "—" if value is None else str(value)


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
    env.filters["sentence"] = sentence
    env.filters["fmt"] = _fmt
    env.globals["status_icons"] = STATUS_ICONS
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
    env.filters["fmt"] = _fmt
    return env


def render_proof_card(card: ProofCard) -> tuple[str, str]:
    """(title, Markdown summary) for the check-run output."""
    summary = markdown_env().get_template("proof_card.md.j2").render(card=card)
    return card_title(card), summary
