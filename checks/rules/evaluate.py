"""Evaluating a parsed rule over `PullRequestFacts`, keeping the facts that decided the value.

`evaluate` returns the value and the facts behind it: for a false rule, exactly the function
calls that made it false (for `A => B`: A being true and B being false; for `A && B`: the false
operands; for `!A`: A being true). Facts are data (expression, value, witness items);
`checks/explain.py` phrases them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from checks.rules.facts import PullRequestFacts
from checks.rules.functions import FUNCTIONS
from checks.rules.syntax import Binary, Call, Compare, Expr, Lit, Not, unparse

Value = bool | float | str


class Fact(BaseModel):
    """One evaluated function call: `changed("migrations/**")` was true because of these files."""

    expr: str
    value: bool | float | str
    items: list[str] = Field(default_factory=list)


class Outcome(BaseModel):
    value: bool | float | str
    facts: list[Fact] = Field(default_factory=list)


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
        value, items = FUNCTIONS[expr.name].impl(facts, args)
        return Outcome(value=value, facts=[Fact(expr=unparse(expr), value=value, items=items)])
    if isinstance(expr, Not):
        inner = evaluate(expr.operand, facts)
        return Outcome(value=not inner.value, facts=inner.facts)
    if isinstance(expr, Compare):
        left, right = evaluate(expr.left, facts), evaluate(expr.right, facts)
        return Outcome(
            value=_compare(expr.op, left.value, right.value), facts=_merge(left.facts, right.facts)
        )
    return _binary(expr, facts)


def _compare(op: str, a: Value, b: Value) -> bool:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    # the parser admits ordering only between numbers/durations
    x, y = float(a), float(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _binary(expr: Binary, facts: PullRequestFacts) -> Outcome:
    left = evaluate(expr.left, facts)
    if expr.op == "=>":
        if not left.value:
            return Outcome(value=True, facts=left.facts)
        right = evaluate(expr.right, facts)
        return Outcome(value=bool(right.value), facts=_merge(left.facts, right.facts))
    if expr.op == "&&":
        if not left.value:
            return Outcome(value=False, facts=left.facts)
        right = evaluate(expr.right, facts)
        if not right.value:
            return Outcome(value=False, facts=right.facts)
        return Outcome(value=True, facts=_merge(left.facts, right.facts))
    # "||"
    if left.value:
        return Outcome(value=True, facts=left.facts)
    right = evaluate(expr.right, facts)
    if right.value:
        return Outcome(value=True, facts=right.facts)
    return Outcome(value=False, facts=_merge(left.facts, right.facts))
