"""The Proof Card's overall conclusion follows from its obligation results."""

from checks.explain import sentence
from checks.proofcard import Comparator, Conclusion, ObligationResult, ObligationStatus, ProofCard


def _result(status: ObligationStatus, reason: str = "within_limit") -> ObligationResult:
    return ObligationResult(
        key="riskCap",
        title="Risk",
        status=status,
        comparator=Comparator.AT_MOST,
        required=0.7,
        actual=0.25,
        reason=reason,
    )


def _card(*statuses: ObligationStatus) -> ProofCard:
    return ProofCard(
        repository="o/r", pull_number=1, head_sha="a" * 40, results=[_result(s) for s in statuses]
    )


def test_any_failure_fails_the_card() -> None:
    card = _card(ObligationStatus.PASSED, ObligationStatus.FAILED, ObligationStatus.PENDING)
    assert card.conclusion is Conclusion.FAILURE


def test_all_passed_or_waived_succeeds() -> None:
    card = _card(ObligationStatus.PASSED, ObligationStatus.WAIVED, ObligationStatus.NOT_REQUIRED)
    assert card.conclusion is Conclusion.SUCCESS


def test_pending_evidence_is_neutral_never_a_pass() -> None:
    card = _card(ObligationStatus.PASSED, ObligationStatus.PENDING)
    assert card.conclusion is Conclusion.NEUTRAL
    assert card.count(ObligationStatus.PENDING) == 1


def test_sentence_uses_required_and_actual_values() -> None:
    text = sentence(_result(ObligationStatus.PASSED))
    assert text == "Risk 0.25 is within the limit of 0.70"
    assert sentence(_result(ObligationStatus.FAILED, reason="some_new_code")) == "some new code"
