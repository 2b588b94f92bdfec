"""`.github/maestro.yml`: defaults, errors that name the right line, per-path overrides."""

from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.explain import policy_problem_sentence
from checks.obligations.catalog import DEFAULT_REQUIRED
from checks.policy.model import Policy
from checks.policy.parse import PolicyError, parse_policy
from checks.policy.resolve import resolve

MONOREPO = dedent(
    """\
    version: 1
    thresholds:
      specCoverage: 0.85
    overrides:
      - paths: ["services/api/**"]
        thresholds:
          perfP95BudgetMs: 120
          specCoverage: 0.95
      - paths: ["docs/**", "**/*.md"]
        skip: [specCoverage, mutationScore, perfP95BudgetMs]
      - paths: ["services/api/legacy/**"]
        thresholds:
          perfP95BudgetMs: 400
    invariants:
      migrations-need-dba: changed("migrations/**") => approved_by_team("@org/dba")
    cep_guards:
      fresh-approval:
        rule: "!pushed_after_approval()"
        effect: invalidate_approvals
    waivers:
      min_permission: write
      users: [release-bot]
    """
)


def _policy(text: str) -> Policy:
    result = parse_policy(text)
    assert isinstance(result, Policy), result
    return result


def _error(text: str) -> PolicyError:
    result = parse_policy(text)
    assert isinstance(result, PolicyError), result
    return result


def test_absent_file_gives_the_documented_defaults() -> None:
    policy = _policy_none()
    assert policy.configured is False
    assert policy.base_thresholds() == {
        "specCoverage": 0.9,
        "mutationScore": 0.7,
        "perfP95BudgetMs": 1000.0,
        "riskCap": 0.7,
        "sbomCriticals": 0,
        "piiFindings": 0,
    }
    assert tuple(policy.required) == DEFAULT_REQUIRED
    assert policy.waivers.min_permission == "maintain"
    assert policy.waivers.default_days == 14
    assert policy.evidence.timeout_minutes == 60


def _policy_none() -> Policy:
    result = parse_policy(None)
    assert isinstance(result, Policy)
    return result


def test_empty_file_is_configured_defaults() -> None:
    policy = _policy("# nothing yet\n")
    assert policy.configured is True
    assert policy.base_thresholds()["specCoverage"] == 0.9


def test_monorepo_policy_parses() -> None:
    policy = _policy(MONOREPO)
    assert policy.configured
    assert policy.invariants["migrations-need-dba"].effect == "block"
    assert policy.cep_guards["fresh-approval"].effect == "invalidate_approvals"


@pytest.mark.parametrize(
    ("text", "line", "column", "loc", "code"),
    [
        (
            "thresholds:\n  specCoverage: 0.8\n  mutationScore: 1.5\n",
            3,
            18,
            "thresholds.mutationScore",
            "less_than_equal",
        ),
        (
            "overrides:\n  - paths: [a/**]\n  - paths: [b/**]\n    thresholds:\n"
            "      perfP95BudgetMs: -3\n",
            5,
            24,
            "overrides[1].thresholds.perfP95BudgetMs",
            "greater_than",
        ),
        ("waivers:\n  min_permission: boss\n", 2, 19, "waivers.min_permission", "literal_error"),
        ("version: 1\ncolour: red\n", 2, 1, "colour", "extra_forbidden"),
        ("required: [specCoverage, speedScore]\n", 1, 26, "required[1]", "literal_error"),
        ("overrides:\n  - thresholds: {}\n", 2, 5, "overrides[0].paths", "missing"),
        ('invariants:\n  "bad name": draft()\n', 2, 3, "invariants", "rule_name"),
    ],
)
def test_errors_name_the_line(text: str, line: int, column: int, loc: str, code: str) -> None:
    error = _error(text)
    (problem,) = error.problems
    assert (problem.line, problem.column, problem.loc, problem.code) == (line, column, loc, code)
    assert problem.snippet == text.splitlines()[line - 1].rstrip()
    rendered = policy_problem_sentence(problem)
    assert rendered.startswith(f".github/maestro.yml:{line}:{column}: {loc}: ")


def test_all_problems_are_reported_in_line_order() -> None:
    error = _error("thresholds:\n  riskCap: 2\nwaivers:\n  max_days: 0\ndrafts: maybe\n")
    assert [p.line for p in error.problems] == [2, 4, 5]


def test_rule_syntax_error_points_into_the_rule() -> None:
    text = 'invariants:\n  dba: changed("migrations/**") => approved_by_team("@org/dba"\n'
    (problem,) = _error(text).problems
    assert problem.code == "rule_syntax"
    assert problem.line == 2
    assert problem.column == len(text.splitlines()[1]) + 1  # just past the end: missing ')'
    quoted = "cep_guards:\n  g:\n    rule: 'lines_changed() < \"x\"'\n"
    (problem,) = _error(quoted).problems
    assert (problem.line, problem.column) == (3, quoted.splitlines()[2].index('"x"') + 1)
    block = (
        'invariants:\n  log:\n    rule: |\n      changed("api/**")\n'
        "        => changed(CHANGELOG.md)\n"
    )
    (problem,) = _error(block).problems
    assert (problem.line, problem.column) == (5, block.splitlines()[4].index(".md") + 1)


def test_yaml_syntax_and_shape_errors() -> None:
    (problem,) = _error("thresholds: [1,\n").problems
    assert problem.code == "yaml_syntax" and problem.line == 2
    (problem,) = _error("- a\n- b\n").problems
    assert problem.code == "not_a_mapping"
    (problem,) = _error("drafts: check\nversion: 1\ndrafts: skip\n").problems
    assert (problem.code, problem.line) == ("duplicate_key", 3)


def test_alias_bombs_are_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    (problem,) = _error("\n".join(lines) + "\n").problems
    assert problem.code == "too_large"


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_parse_policy_never_raises(text: str) -> None:
    result = parse_policy(text)
    assert isinstance(result, Policy | PolicyError)


def test_overrides_resolve_per_path_strictest_wins() -> None:
    policy = _policy(MONOREPO)
    api = resolve(policy, ["services/api/handlers.py"])
    assert api["perfP95BudgetMs"].threshold == 120
    assert api["perfP95BudgetMs"].decided_by == "overrides[0] (services/api/**)"
    assert api["specCoverage"].threshold == 0.95
    web = resolve(policy, ["services/web/app.js"])
    assert web["perfP95BudgetMs"].threshold == 1000.0
    assert web["perfP95BudgetMs"].decided_by == "default"
    assert web["specCoverage"].threshold == 0.85
    assert web["specCoverage"].decided_by == "policy"
    both = resolve(policy, ["services/web/app.js", "services/api/handlers.py"])
    assert both["perfP95BudgetMs"].threshold == 120
    assert both["perfP95BudgetMs"].file == "services/api/handlers.py"
    legacy = resolve(policy, ["services/api/legacy/old.py"])
    assert legacy["perfP95BudgetMs"].threshold == 400  # later override wins for that file


def test_overrides_can_skip_obligations_only_where_every_file_allows() -> None:
    policy = _policy(MONOREPO)
    docs = resolve(policy, ["docs/guide.md", "README.md"])
    assert not docs["specCoverage"].required
    assert not docs["mutationScore"].required
    assert docs["riskCap"].required
    mixed = resolve(policy, ["docs/guide.md", "services/api/x.py"])
    assert mixed["specCoverage"].required
    nothing = resolve(policy, [])
    assert nothing["specCoverage"].required and nothing["specCoverage"].threshold == 0.85
