"""What a policy's rules need gathered, unknown facts (three-valued logic), stale approvals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from checks.evidence.model import Evidence
from checks.explain import sentence
from checks.obligations.verify import verify
from checks.policy.model import Policy
from checks.policy.parse import parse_policy
from checks.proofcard import ObligationStatus
from checks.rules.evaluate import evaluate
from checks.rules.facts import Approval, PrEvent, PullRequestFacts
from checks.rules.needs import (
    DEFAULT_REVERT_LOOKBACK_SECONDS,
    MAX_REVERT_LOOKBACK_SECONDS,
    needs_of,
    policy_needs,
)
from checks.rules.parser import parse_rule
from checks.rules.syntax import Binary, Call, Lit, Not, Type

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HEAD = "c" * 40


def _policy(text: str) -> Policy:
    policy = parse_policy(text)
    assert isinstance(policy, Policy)
    return policy


def test_only_what_the_rules_read_is_needed() -> None:
    assert policy_needs(_policy('invariants:\n  log: changed("api/**") => changed("C.md")\n')) == (
        needs_of([])
    )
    dba = policy_needs(
        _policy(
            "invariants:\n"
            '  dba: changed("migrations/**") => approved_by_team("@Org/DBA")\n'
            '  web: author_in_team("org/web") || approvals() >= 2\n'
        )
    )
    assert dba.reviews and not dba.pushes and dba.revert_lookback_seconds is None
    assert (dba.approver_teams, dba.author_teams, dba.teams) == (
        ["org/dba"],
        ["org/web"],
        ["org/dba", "org/web"],
    )
    guards = policy_needs(
        _policy(
            "cep_guards:\n"
            '  fresh: "!pushed_after_approval()"\n'
            '  storm: max_same_path("revert", 24h) < 2\n'
            '  burst: events("revert", 2d) < 5\n'
        )
    )
    assert guards.reviews and guards.pushes and guards.revert_lookback_seconds == 2 * 86400
    assert needs_of([parse_rule('events("revert") < 9')]).revert_lookback_seconds == (
        DEFAULT_REVERT_LOOKBACK_SECONDS
    )
    assert needs_of([parse_rule('events("revert", 52w) < 9')]).revert_lookback_seconds == (
        MAX_REVERT_LOOKBACK_SECONDS
    )
    assert needs_of([parse_rule('events("push", 1h) < 9')]).pushes
    invalidating = policy_needs(
        _policy(
            "cep_guards:\n  g:\n    rule: lines_changed() < 9\n    effect: invalidate_approvals\n"
        )
    )
    assert invalidating.pushes and invalidating.reviews


_UNKNOWN = Call("approved_by_team", (Lit(Type.STR, "@org/dba"),))
_ATOMS = st.sampled_from(
    [
        _UNKNOWN,
        Call("changed", (Lit(Type.STR, "migrations/**"),)),  # true
        Call("changed", (Lit(Type.STR, "docs/**"),)),  # false
        Lit(Type.BOOL, True),
        Lit(Type.BOOL, False),
    ]
)
_EXPRS = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(Binary, st.sampled_from(["=>", "&&", "||"]), inner, inner),
    ),
    max_leaves=8,
)


def _atoms(expr: object) -> list[object]:
    if isinstance(expr, Not):
        return _atoms(expr.operand)
    if isinstance(expr, Binary):
        return _atoms(expr.left) + _atoms(expr.right)
    return [expr]


def _facts(**kw: object) -> PullRequestFacts:
    base: dict[str, object] = {
        "changed_files": ["migrations/1.sql"],
        "approvals": [Approval(user="bob")],
        "head_sha": HEAD,
    }
    return PullRequestFacts.model_validate({**base, **kw})


@given(_EXPRS)
def test_unknown_follows_kleene_logic(expr: Binary | Not | Call | Lit) -> None:
    """With an unreadable team a rule is never decided wrongly: a decided value is what both
    possible memberships give, and a rule whose value depends on the membership is undecided,
    naming the unreadable fact. (Kleene logic is sound, not complete: `x => x` stays unknown.)"""
    unknown = evaluate(expr, _facts(unknown_teams={"org/dba": "forbidden"}))
    member = evaluate(expr, _facts(approvals=[Approval(user="bob", teams=["org/dba"])]))
    outsider = evaluate(expr, _facts())
    if unknown.value is not None:
        assert unknown.value == member.value == outsider.value
    else:
        assert [f.unknown for f in unknown.facts] == ["team_membership_unreadable"]
    if member.value != outsider.value:
        assert unknown.value is None
    if _UNKNOWN not in _atoms(expr):
        assert unknown.value == outsider.value


def test_unreadable_team_makes_the_rule_undecided_and_says_why() -> None:
    policy = _policy(
        "required: [invariants]\n"
        'invariants:\n  dba: changed("migrations/**") => approved_by_team("@org/dba")\n'
    )
    facts = _facts(unknown_teams={"org/dba": "forbidden"})
    [result] = [r for r in verify(policy, Evidence(), facts) if r.key == "invariants.dba"]
    assert result.status is ObligationStatus.FAILED and result.reason == "rule_undecided"
    assert result.actual == "undecided"
    assert sentence(result) == (
        'dba could not be decided: changed("migrations/**") => approved_by_team("@org/dba") '
        '(approved_by_team("@org/dba") is unknown: team membership of @org/dba could not be '
        "read; Maestro needs the organization permission Members: read, which an organization "
        "owner grants on the app's installation)"
    )
    # without approvals nobody from the team approved: decided, no membership needed
    none = verify(policy, Evidence(), _facts(approvals=[], unknown_teams={"org/dba": "x"}))
    assert [r.reason for r in none if r.key == "invariants.dba"] == ["rule_failed"]


def test_an_approval_of_an_older_commit_is_a_push_after_approval() -> None:
    approval = PrEvent(kind="approval", at=T0, actor="alice", sha="a" * 40)
    stale = evaluate(parse_rule("!pushed_after_approval()"), _facts(events=[approval]))
    assert stale.value is False
    assert stale.facts[0].items[-1] == "head is now ccccccc"
    fresh = approval.model_copy(update={"sha": HEAD})
    assert evaluate(parse_rule("!pushed_after_approval()"), _facts(events=[fresh])).value is True


def test_invalidate_approvals_drops_approvals_of_older_commits() -> None:
    policy = _policy(
        "required: [invariants, cepGuards]\n"
        "invariants:\n  two: approvals() >= 2\n"
        "cep_guards:\n"
        '  fresh:\n    rule: "!pushed_after_approval()"\n    effect: invalidate_approvals\n'
    )
    approvals = [
        Approval(user="old", at=T0, commit_sha="a" * 40),
        Approval(user="new", at=T0 + timedelta(hours=1), commit_sha=HEAD),
    ]
    events = [PrEvent(kind="approval", at=a.at, actor=a.user, sha=a.commit_sha) for a in approvals]
    # the last approval is on the head, so the guard holds, but "old" approved an older commit
    results = {
        r.key: r for r in verify(policy, Evidence(), _facts(approvals=approvals, events=events))
    }
    assert results["cepGuards.fresh"].status is ObligationStatus.PASSED
    approvals[1] = approvals[1].model_copy(update={"commit_sha": "b" * 40})
    events[1] = events[1].model_copy(update={"sha": "b" * 40})
    results = {
        r.key: r for r in verify(policy, Evidence(), _facts(approvals=approvals, events=events))
    }
    assert results["cepGuards.fresh"].reason == "guard_invalidated_approvals"
    assert results["invariants.two"].status is ObligationStatus.FAILED
    assert results["invariants.two"].facts == []  # both approvals were dropped
