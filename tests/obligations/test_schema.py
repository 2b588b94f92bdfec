"""The obligation schema: kept as data, thresholds substituted from the policy, every error
collected and phrased."""

from typing import Any

from checks.explain import _REASONS, sentence
from checks.obligations.schema import (
    KEYWORD_REASONS,
    base_schema,
    default_thresholds,
    obligation_schema,
    validate_obligations,
)

VALID = {
    "specCoverage": 0.93,
    "invariants": ["migrations-need-dba"],
    "cepGuards": [],
    "mutationScore": 0.75,
    "perfP95BudgetMs": 120,
    "riskCap": 0.4,
    "sbomCriticals": 0,
}


def test_schema_file_is_the_default_thresholds() -> None:
    assert obligation_schema(default_thresholds()) == base_schema()
    schema = base_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert set(schema["required"]) == {
        "specCoverage",
        "invariants",
        "mutationScore",
        "perfP95BudgetMs",
        "riskCap",
        "sbomCriticals",
    }


def test_valid_document_has_no_problems() -> None:
    assert validate_obligations(VALID, base_schema()) == []


def test_every_error_is_collected_and_phrased() -> None:
    doc: dict[str, Any] = {
        **VALID,
        "mutationScore": 0.62,
        "sbomCriticals": 2,
        "specCoverage": "high",
        "colour": "red",
    }
    del doc["riskCap"]
    problems = validate_obligations(doc, base_schema())
    by_key = {p.key: p for p in problems}
    assert set(by_key) == {"mutationScore", "sbomCriticals", "specCoverage", "colour", "riskCap"}
    assert sentence(by_key["mutationScore"]) == "Mutation score 0.62 is below the required 0.70"
    assert sentence(by_key["sbomCriticals"]) == "SBOM criticals 2 is above the limit of 0"
    assert sentence(by_key["specCoverage"]) == "Spec coverage must be a number, not a string"
    assert sentence(by_key["colour"]) == "'colour' is not an obligation Maestro knows"
    assert sentence(by_key["riskCap"]) == "Risk is missing from the obligations"


def test_policy_thresholds_replace_the_defaults() -> None:
    schema = obligation_schema({**default_thresholds(), "mutationScore": 0.5})
    assert validate_obligations({**VALID, "mutationScore": 0.55}, schema) == []
    schema = obligation_schema({**default_thresholds(), "perfP95BudgetMs": 100})
    (problem,) = validate_obligations(VALID, schema)
    assert sentence(problem) == "p95 latency budget 120 ms is above the limit of 100 ms"


def test_structural_schema_accepts_failing_values_but_not_nonsense() -> None:
    schema = obligation_schema(None, require_all=False)
    assert validate_obligations({"mutationScore": 0.1}, schema) == []
    (problem,) = validate_obligations({"mutationScore": 1.5}, schema)
    assert problem.reason == "above_limit"


def _keywords(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("properties", "$schema", "$id", "title", "description"):
                found.add(key)
            if key == "properties":
                for sub in value.values():
                    found |= _keywords(sub)
            else:
                found |= _keywords(value)
    return found


def test_every_keyword_in_the_schema_has_a_sentence() -> None:
    keywords = _keywords(base_schema()) - {"items"}
    assert {"minimum", "maximum", "type", "required", "additionalProperties"} <= keywords
    for keyword in keywords:
        reason = KEYWORD_REASONS.get(keyword)
        assert reason is not None, keyword
        assert reason in _REASONS, reason


def test_each_keyword_error_renders() -> None:
    schema = base_schema()
    cases: list[tuple[dict[str, Any], str]] = [
        ({**VALID, "version": 2}, "const"),
        ({**VALID, "commit": "XYZ"}, "pattern"),
        ({**VALID, "generator": "x" * 300}, "maxLength"),
        ({**VALID, "invariants": ["a", "a"]}, "uniqueItems"),
        ({**VALID, "invariants": [""]}, "minLength"),
        ({**VALID, "invariants": ["bad name"]}, "pattern"),
        ({**VALID, "specCoverage": 1.5}, "maximum"),
    ]
    for doc, keyword in cases:
        problems = validate_obligations(doc, schema)
        assert [p.keyword for p in problems] == [keyword] or keyword in {
            p.keyword for p in problems
        }, (doc, problems)
        for p in problems:
            text = sentence(p)
            assert text and "_" not in text.split(":")[0], text


def test_non_object_document() -> None:
    (problem,) = validate_obligations([1, 2], base_schema())
    assert sentence(problem) == "Obligations document must be an object, not an array"
