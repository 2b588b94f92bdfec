"""Waiver decisions: names checked against the catalog and the policy's rules, dates in the
future and within max_days, teams whose membership could not be read, the owner on the card."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from checks.explain import sentence, waiver_sentence
from checks.obligations.waivers import (
    Waiver,
    apply_waivers,
    canonical_obligation,
    decide_waiver,
    waivable_names,
)
from checks.policy.model import Policy
from checks.policy.parse import parse_policy
from checks.proofcard import ObligationResult, ObligationStatus

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HEAD = "c" * 40
POLICY = """\
invariants:
  dba: changed("migrations/**") => approved_by_team("@org/dba")
cep_guards:
  fresh-approval: "!pushed_after_approval()"
waivers:
  min_permission: triage
  users: [release-bot]
  teams: ['@org/leads']
  max_days: 30
"""


def _policy(text: str = POLICY) -> Policy:
    policy = parse_policy(text)
    assert isinstance(policy, Policy)
    return policy


def _waiver(**kw: object) -> Waiver:
    base: dict[str, object] = {
        "obligation": "mutationScore",
        "by": "maria",
        "reason": "r",
        "permission": "triage",
        "created_at": NOW,
        "head_sha": HEAD,
    }
    return Waiver.model_validate({**base, **kw})


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def test_names_come_from_the_catalog_and_the_policy_rules() -> None:
    policy = _policy()
    names = waivable_names(policy)
    assert "mutationScore" in names and "piiFindings" in names
    assert "invariants.dba" in names and "cepGuards.fresh-approval" in names
    assert canonical_obligation(policy, "mutationscore") == "mutationScore"
    assert canonical_obligation(policy, "invariants.nope") is None
    decision = decide_waiver(policy, _waiver(obligation="mutationScor"), NOW, HEAD)
    assert decision.reason == "waiver_unknown_obligation" and not decision.allowed
    assert decision.valid_obligations == names
    assert waiver_sentence(decision) == "mutationScor is not an obligation of this repository"
    allowed = decide_waiver(policy, _waiver(obligation="invariants.DBA"), NOW, HEAD)
    assert allowed.allowed and allowed.obligation == "invariants.dba"


def test_until_date_must_be_ahead_and_within_max_days() -> None:
    policy = _policy()
    today = NOW.date()
    past = decide_waiver(policy, _waiver(expires_at=_end_of(today - timedelta(days=1))), NOW)
    assert past.reason == "waiver_date_past"
    assert waiver_sentence(past) == "2026-03-01 is in the past"
    assert decide_waiver(policy, _waiver(expires_at=_end_of(today)), NOW).allowed
    last = decide_waiver(policy, _waiver(expires_at=_end_of(today + timedelta(days=30))), NOW)
    assert last.allowed and last.latest == date(2026, 4, 1)
    long = decide_waiver(policy, _waiver(expires_at=_end_of(today + timedelta(days=31))), NOW)
    assert long.reason == "waiver_too_long"
    assert waiver_sentence(long) == (
        "the waiver would run until 2026-04-02, but this repository allows at most 30 days "
        "(until 2026-04-01 at the latest)"
    )
    # the default duration applies without a date
    assert decide_waiver(policy, _waiver(), NOW).expires_at == NOW + timedelta(days=14)


def test_who_may_waive() -> None:
    policy = _policy()
    assert decide_waiver(policy, _waiver(permission="triage"), NOW).allowed
    assert decide_waiver(policy, _waiver(permission="read", by="release-bot"), NOW).allowed
    assert decide_waiver(policy, _waiver(permission="read", teams=["org/leads"]), NOW).allowed
    refused = decide_waiver(policy, _waiver(permission="read"), NOW)
    assert refused.reason == "waiver_permission_too_low"
    assert (refused.min_permission, refused.permission) == ("triage", "read")
    assert (refused.users, refused.teams) == (["release-bot"], ["@org/leads"])
    unread = decide_waiver(policy, _waiver(permission="read", teams_unknown=["@org/leads"]), NOW)
    assert unread.reason == "waiver_team_unreadable" and unread.teams_unknown == ["@org/leads"]
    assert "Members: read" in waiver_sentence(unread)


def test_owner_is_shown_on_the_card() -> None:
    failed = ObligationResult(
        key="mutationScore",
        title="Mutation score",
        status=ObligationStatus.FAILED,
        reason="below_minimum",
        required=0.7,
        actual=0.5,
    )
    waiver = _waiver(owner="qa-lead", expires_at=_end_of(date(2026, 3, 20)))
    [result] = apply_waivers([failed], _policy(), [waiver], NOW, HEAD)
    assert result.status is ObligationStatus.WAIVED
    assert sentence(result) == "waived by maria (owner @qa-lead) until 2026-03-20: r"
