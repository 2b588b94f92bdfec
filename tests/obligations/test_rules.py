"""The rule language: parsing (errors point at the column), round-trips, and evaluation that
names the facts behind a failing rule."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.explain import fact_sentence
from checks.rules.evaluate import evaluate
from checks.rules.facts import Approval, PrEvent, PullRequestFacts
from checks.rules.functions import FUNCTIONS
from checks.rules.globs import glob_match
from checks.rules.parser import parse_rule
from checks.rules.syntax import Binary, Call, Compare, Expr, Lit, Not, ParseError, Type, unparse

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _facts(**kw: object) -> PullRequestFacts:
    return PullRequestFacts.model_validate(kw)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ('changed("a"', 12, "expected ','"),
        ('lines_changed() < "x"', 19, "compares numbers"),
        ("foo()", 1, "unknown function 'foo'"),
        ('changed("a") && 3', 17, "true/false operands"),
        ("1 < 2 < 3", 7, "do not chain"),
        ("changed(1)", 9, "must be a string"),
        ('"x', 1, "unterminated string"),
        ("lines_changed() < 4x", 20, "unknown duration unit"),
        ("lines_changed()", 1, "must be true or false"),
        ("approvals() >= 1 $", 18, "unexpected character"),
        ("", 1, "empty rule"),
        ('max_same_path("revert")', 1, "needs 2 argument"),
        ("draft(1)", 7, "at most 0"),
    ],
)
def test_parse_errors_point_at_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_rule(text)
    assert info.value.column == column
    assert message in info.value.message
    caret_line = info.value.caret().splitlines()[1]
    assert caret_line == " " * (column - 1) + "^"


def test_nesting_is_bounded() -> None:
    with pytest.raises(ParseError):
        parse_rule("(" * 200 + "draft()" + ")" * 200)
    with pytest.raises(ParseError):
        parse_rule(" && ".join(["draft()"] * 100))
    with pytest.raises(ParseError):
        parse_rule("!" * 300 + "draft()")


def test_precedence_and_associativity() -> None:
    expr = parse_rule('draft() || label("a") && !label("b") => approvals() >= 2')
    assert isinstance(expr, Binary) and expr.op == "=>"
    assert isinstance(expr.left, Binary) and expr.left.op == "||"
    chained = parse_rule("draft() => draft() => draft()")
    assert isinstance(chained, Binary) and isinstance(chained.right, Binary)


@given(st.text(max_size=80))
@settings(max_examples=400, deadline=None)
def test_parser_raises_only_parse_error(text: str) -> None:
    try:
        parse_rule(text)
    except ParseError as exc:
        assert 1 <= exc.column <= len(text) + 1


_ALPHABET = st.sampled_from(
    [
        'changed("a/**")',
        "draft()",
        "!",
        "&&",
        "||",
        "=>",
        "(",
        ")",
        "<",
        ">=",
        "==",
        "400",
        "24h",
        '"x"',
        "true",
        "lines_changed()",
        ",",
        " ",
        "max_same_path(",
        '"revert"',
        "label(",
    ]
)


@given(st.lists(_ALPHABET, max_size=25).map("".join))
@settings(max_examples=400, deadline=None)
def test_parser_raises_only_parse_error_on_near_miss_rules(text: str) -> None:
    try:
        expr = parse_rule(text)
    except ParseError:
        return
    assert parse_rule(unparse(expr)) == expr


_bool_calls = st.one_of(
    st.builds(lambda g: Call("changed", (Lit(Type.STR, g),)), st.text(max_size=8)),
    st.builds(lambda n: Call("label", (Lit(Type.STR, n),)), st.text(max_size=8)),
    st.just(Call("draft", ())),
    st.just(Call("pushed_after_approval", ())),
    st.booleans().map(lambda b: Lit(Type.BOOL, b)),
)
_num = st.one_of(
    st.just(Call("lines_changed", ())),
    st.integers(0, 10_000).map(lambda n: Lit(Type.NUM, float(n))),
    st.builds(
        lambda k, h: Call("max_same_path", (Lit(Type.STR, k), Lit(Type.DUR, float(h * 3600)))),
        st.sampled_from(["revert", "push"]),
        st.integers(1, 72),
    ),
)
_compare = st.builds(Compare, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), _num, _num)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(Not, children),
        st.builds(Binary, st.sampled_from(["=>", "&&", "||"]), children, children),
    )


_exprs = st.recursive(st.one_of(_bool_calls, _compare), _extend, max_leaves=12)


@given(_exprs)
@settings(max_examples=300, deadline=None)
def test_unparse_round_trips(expr: Expr) -> None:
    text = unparse(expr)
    assert parse_rule(text) == expr
    assert unparse(parse_rule(text)) == text


def test_issue_examples_evaluate_with_failing_facts_named() -> None:
    facts = _facts(
        changed_files=["migrations/0003_add_index.sql", "api/users.py"],
        approvals=[Approval(user="alice", teams=["org/web"])],
        labels=["enhancement"],
        lines_added=500,
        lines_removed=20,
    )
    dba = evaluate(parse_rule('changed("migrations/**") => approved_by_team("@org/dba")'), facts)
    assert dba.value is False
    assert [(f.expr, f.value, f.items) for f in dba.facts] == [
        ('changed("migrations/**")', True, ["migrations/0003_add_index.sql"]),
        ('approved_by_team("@org/dba")', False, ["alice"]),
    ]
    log = evaluate(parse_rule('changed("api/**") => changed("CHANGELOG.md")'), facts)
    assert log.value is False
    assert fact_sentence(log.facts[1]) == 'changed("CHANGELOG.md") is false'
    size = evaluate(parse_rule('!label("skip-proof") && lines_changed() < 400'), facts)
    assert size.value is False
    assert [f.expr for f in size.facts] == ["lines_changed()"]
    assert fact_sentence(size.facts[0]) == "lines_changed() is 520 (+500, -20)"


def test_rules_that_hold() -> None:
    facts = _facts(
        changed_files=["migrations/1.sql", "CHANGELOG.md"],
        approvals=[Approval(user="bob", teams=["@Org/DBA"])],
    )
    for text in (
        'changed("migrations/**") => approved_by_team("@org/dba")',
        'changed("migrations/**") => changed("CHANGELOG.md")',
        'approved_by("BOB") && approvals() == 1',
        'only_changed("migrations/**", "*.md")',
        'files_changed("migrations/**") == 1',
        '!draft() || label("wip")',
    ):
        assert evaluate(parse_rule(text), facts).value is True, text


def test_push_after_the_last_approval() -> None:
    events = [
        PrEvent(kind="push", at=T0, sha="a" * 40),
        PrEvent(kind="approval", at=T0 + timedelta(hours=1), actor="alice"),
        PrEvent(kind="push", at=T0 + timedelta(hours=2), sha="b" * 40, actor="mallory"),
    ]
    outcome = evaluate(parse_rule("!pushed_after_approval()"), _facts(events=events))
    assert outcome.value is False
    (fact,) = outcome.facts
    assert fact.items[0].startswith("approval by alice")
    assert fact.items[1].startswith("push bbbbbbb by mallory")
    fresh = evaluate(parse_rule("!pushed_after_approval()"), _facts(events=events[:2]))
    assert fresh.value is True


def test_second_revert_on_the_same_path_within_24h() -> None:
    def revert(hours: float, *paths: str) -> PrEvent:
        return PrEvent(kind="revert", at=T0 + timedelta(hours=hours), paths=list(paths))

    rule = parse_rule('max_same_path("revert", 24h) < 2')
    close = _facts(events=[revert(0, "a.py", "b.py"), revert(5, "c.py"), revert(20, "b.py")])
    outcome = evaluate(rule, close)
    assert outcome.value is False
    assert outcome.facts[0].value == 2
    assert outcome.facts[0].items[0] == "b.py"
    apart = _facts(events=[revert(0, "b.py"), revert(30, "b.py")])
    assert evaluate(rule, apart).value is True
    recent = evaluate(
        parse_rule('events("revert", 1d) == 1'),
        _facts(events=[revert(0, "x"), revert(30, "y")], now=T0 + timedelta(hours=40)),
    )
    assert recent.value is True


def test_every_function_is_documented_and_callable() -> None:
    facts = _facts(changed_files=["a"], events=[PrEvent(kind="push", at=T0)])
    for name, fn in FUNCTIONS.items():
        assert fn.doc
        args = tuple(Lit(t, "x" if t is Type.STR else 3600.0) for t in fn.params)
        value, items = fn.impl(facts, tuple(a.value for a in args))
        assert isinstance(value, bool | float), name
        assert isinstance(items, list)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("services/api/**", "services/api/app/main.py", True),
        ("services/api/**", "services/web/main.py", False),
        ("**/README.md", "README.md", True),
        ("**/README.md", "docs/README.md", True),
        ("*.md", "docs/a.md", False),
        ("*.md", "CHANGELOG.md", True),
        ("docs/*.md", "docs/a/b.md", False),
        ("src/?.py", "src/a.py", True),
        ("a[1].txt", "a[1].txt", True),
    ],
)
def test_globs(pattern: str, path: str, expected: bool) -> None:
    assert glob_match(pattern, path) is expected
