"""The words for waiver decisions (`checks.obligations.waivers` reason codes): with a decision's
particulars for the reply to `/maestro waive`, and brief ones for the refused waivers a card
lists. Re-exported by `checks.explain`, the one place other code asks for sentences.
"""

from __future__ import annotations

from checks.obligations.waivers import WaiverDecision, last_day

_WAIVER_REASONS: dict[str, str] = {
    "waiver_allowed": "waiver accepted",
    "waiver_permission_too_low": (
        "the author's role ({role}) is below the {min} role this repository requires"
    ),
    "waiver_team_unreadable": (
        "membership of {unknown} could not be read; Maestro needs the organization permission "
        "Members: read, which an organization owner grants on the app's installation"
    ),
    "waiver_unknown_obligation": "{obligation} is not an obligation of this repository",
    "waiver_not_waivable": "this repository's policy does not allow waiving this obligation",
    "waiver_date_past": "{until} is in the past",
    "waiver_too_long": (
        "the waiver would run until {until}, but this repository allows at most {max_days} days "
        "(until {latest} at the latest)"
    ),
    "waiver_expired": "the waiver has expired",
    "waiver_other_head": "the waiver was given for another commit",
}


def waiver_sentence(decision: WaiverDecision) -> str:
    """Why this waiver was accepted or refused, with the decision's particulars (the reply to
    `/maestro waive`)."""
    text = _WAIVER_REASONS.get(decision.reason, decision.reason.replace("_", " "))
    until = last_day(decision.expires_at).isoformat() if decision.expires_at else "?"
    return (
        text.replace("{min}", decision.min_permission or "maintain")
        .replace("{role}", decision.permission or "none")
        .replace("{unknown}", ", ".join(decision.teams_unknown))
        .replace("{obligation}", decision.obligation)
        .replace("{until}", until)
        .replace("{max_days}", str(decision.max_days))
        .replace("{latest}", decision.latest.isoformat() if decision.latest else "?")
    )


# The same reasons without a decision's particulars (a card lists refused waivers by code).
_WAIVER_REASONS_BRIEF: dict[str, str] = {
    "waiver_permission_too_low": "only users with the {min} role or above may waive",
    "waiver_team_unreadable": "team membership could not be read (no Members: read permission)",
    "waiver_unknown_obligation": "not an obligation of this repository",
    "waiver_date_past": "its date is in the past",
    "waiver_too_long": "it lasts longer than the policy allows",
}


def waiver_reason_text(reason: str, min_permission: str | None = None) -> str:
    """Why a waiver was accepted or refused, from its reason code."""
    text = _WAIVER_REASONS_BRIEF.get(reason) or _WAIVER_REASONS.get(
        reason, reason.replace("_", " ")
    )
    return text.replace("{min}", min_permission or "maintain")
