"""Evaluating a parsed rule over `PullRequestFacts`, keeping the facts that decided the value.

`evaluate` returns the value and the facts behind it: for a false rule, exactly the function
calls that made it false (for `A => B`: A being true and B being false; for `A && B`: the false
operands; for `!A`: A being true). Facts are data (expression, value, witness items);
`checks/explain.py` phrases them.

A fact GitHub would not show (a team's membership) is unknown (None), and unknown propagates
with Kleene's three-valued logic: `false && unknown` is false and `true || unknown` is true
(decided without it), but `true => unknown` is unknown, so such a rule is reported as
undecided, naming what could not be read, instead of silently holding or failing.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from checks.rules.facts import PullRequestFacts
from checks.rules.functions import FUNCTIONS
from checks.rules.syntax import Binary, Call, Compare, Expr, Lit, Not, unparse

Value = bool | float | str


class Fact(BaseModel):
    """One evaluated function call: `changed("migrations/**")` was true because of these files.
    `value` None: unknown, for the reason code in `unknown`."""

    expr: str
    value: bool | float | str | None
    items: list[str] = Field(default_factory=list)
    unknown: str = ""


class Outcome(BaseModel):
    value: bool | float | str | None
    facts: list[Fact] = Field(default_factory=list)

    @property
    def undecided(self) -> bool:
        return self.value is None


def _merge(*groups: list[Fact]) -> list[Fact]:
    seen: set[str] = set()
    out: list[Fact] = []
    for group in groups:
        for fact in group:
            if fact.expr not in seen:
                seen.add(fact.expr)
                out.append(fact)
    return out


def evaluate(expr: Expr, facts: PullRequestFacts) -> Outcome:
    if isinstance(expr, Lit):
        return Outcome(value=expr.value)
    if isinstance(expr, Call):
        args = tuple(a.value for a in expr.args)
        function = FUNCTIONS[expr.name]
        value, items = function.impl(facts, args)
        fact = Fact(
            expr=unparse(expr),
            value=value,
            items=items,
            unknown=function.unknown_reason if value is None else "",
        )
        return Outcome(value=value, facts=[fact])
    if isinstance(expr, Not):
        inner = evaluate(expr.operand, facts)
        return Outcome(value=None if inner.undecided else not inner.value, facts=inner.facts)
    if isinstance(expr, Compare):
        left, right = evaluate(expr.left, facts), evaluate(expr.right, facts)
        facts_ = _merge(left.facts, right.facts)
        if left.value is None or right.value is None:
            return Outcome(value=None, facts=[f for f in facts_ if f.value is None])
        return Outcome(value=_compare(expr.op, left.value, right.value), facts=facts_)
    return _binary(expr, facts)


def _compare(op: str, a: Value, b: Value) -> bool:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    # the parser admits ordering only between numbers/durations
    x, y = float(a), float(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _unknown(*outcomes: Outcome) -> Outcome:
    """An undecided result naming only the facts that could not be read."""
    facts = _merge(*(o.facts for o in outcomes))
    return Outcome(value=None, facts=[f for f in facts if f.value is None])


def _binary(expr: Binary, facts: PullRequestFacts) -> Outcome:
    left = evaluate(expr.left, facts)
    if left.undecided:
        return _binary_unknown_left(expr, left, facts)
    if expr.op == "=>":
        if not left.value:
            return Outcome(value=True, facts=left.facts)
        right = evaluate(expr.right, facts)
        if right.undecided:
            return _unknown(left, right)
        return Outcome(value=bool(right.value), facts=_merge(left.facts, right.facts))
    if expr.op == "&&":
        if not left.value:
            return Outcome(value=False, facts=left.facts)
        right = evaluate(expr.right, facts)
        if right.undecided:
            return _unknown(right)
        if not right.value:
            return Outcome(value=False, facts=right.facts)
        return Outcome(value=True, facts=_merge(left.facts, right.facts))
    # "||"
    if left.value:
        return Outcome(value=True, facts=left.facts)
    right = evaluate(expr.right, facts)
    if right.undecided:
        return _unknown(right)
    if right.value:
        return Outcome(value=True, facts=right.facts)
    return Outcome(value=False, facts=_merge(left.facts, right.facts))


def _binary_unknown_left(expr: Binary, left: Outcome, facts: PullRequestFacts) -> Outcome:
    """Kleene: an unknown left operand is overruled only by a right operand that decides alone
    (`unknown => true`, `unknown || true` are true; `unknown && false` is false)."""
    right = evaluate(expr.right, facts)
    if right.undecided:
        return _unknown(left, right)
    if expr.op in ("=>", "||") and right.value:
        return Outcome(value=True, facts=right.facts)
    if expr.op == "&&" and not right.value:
        return Outcome(value=False, facts=right.facts)
    return _unknown(left)
