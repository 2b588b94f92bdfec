"""The rule language's tokens and syntax tree, and `unparse` (the canonical text of a tree).

Grammar (lowest precedence first; `=>` is right-associative, comparisons do not chain):

    rule     := implies
    implies  := or ( "=>" implies )?
    or       := and ( "||" and )*
    and      := not ( "&&" not )*
    not      := "!" not | compare
    compare  := primary ( ("<" | "<=" | ">" | ">=" | "==" | "!=") primary )?
    primary  := call | NUMBER | DURATION | STRING | "true" | "false" | "(" implies ")"
    call     := NAME "(" ( literal ( "," literal )* )? ")"

Literals: numbers (`400`, `0.5`), durations (`30m`, `24h`, `7d`), strings in double or single
quotes with backslash escapes, `true` and `false`. Function arguments are literals only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ParseError(Exception):
    """A rule that does not parse or type-check; `column` is 1-based into `text`."""

    def __init__(self, message: str, text: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.column = max(1, column)

    def caret(self) -> str:
        """The rule text and a caret under the offending column."""
        line = self.text.replace("\n", " ").replace("\t", " ")
        return f"{line}\n{' ' * (self.column - 1)}^"

    def __str__(self) -> str:
        return f"{self.message} at column {self.column}\n{self.caret()}"


class Type(StrEnum):
    BOOL = "boolean"
    NUM = "number"
    STR = "string"
    DUR = "duration"


DURATION_UNITS: dict[str, float] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Lit:
    type: Type
    value: bool | float | str
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Lit, ...]
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Expr
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    op: str  # "=>", "||", "&&"
    left: Expr
    right: Expr
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    op: str  # "<", "<=", ">", ">=", "==", "!="
    left: Expr
    right: Expr
    col: int = field(default=0, compare=False)


Expr = Lit | Call | Not | Binary | Compare

_PRECEDENCE = {"=>": 1, "||": 2, "&&": 3}
_NOT, _COMPARE, _PRIMARY = 4, 5, 6


def _lit_text(lit: Lit) -> str:
    if lit.type is Type.BOOL:
        return "true" if lit.value else "false"
    if lit.type is Type.STR:
        text = str(lit.value)
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return '"' + escaped.replace("\t", "\\t") + '"'
    if lit.type is Type.DUR:
        return _duration_text(float(lit.value))
    return _number_text(float(lit.value))


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _duration_text(seconds: float) -> str:
    for unit in ("w", "d", "h", "m"):
        size = DURATION_UNITS[unit]
        if seconds >= size and (seconds / size).is_integer():
            return f"{int(seconds / size)}{unit}"
    return f"{_number_text(seconds)}s"


def _precedence(expr: Expr) -> int:
    if isinstance(expr, Binary):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, Not):
        return _NOT
    if isinstance(expr, Compare):
        return _COMPARE
    return _PRIMARY


def unparse(expr: Expr, need: int = 0) -> str:
    """Canonical text for `expr`; parsing it gives back an equal tree.

    `need` is the precedence the surrounding context requires; weaker expressions get
    parentheses.
    """
    if isinstance(expr, Lit):
        text = _lit_text(expr)
    elif isinstance(expr, Call):
        text = f"{expr.name}({', '.join(_lit_text(a) for a in expr.args)})"
    elif isinstance(expr, Not):
        text = f"!{unparse(expr.operand, _NOT)}"
    elif isinstance(expr, Compare):
        text = f"{unparse(expr.left, _PRIMARY)} {expr.op} {unparse(expr.right, _PRIMARY)}"
    else:
        prec = _PRECEDENCE[expr.op]
        # `=>` nests to the right, `&&` and `||` to the left
        left_need, right_need = (prec + 1, prec) if expr.op == "=>" else (prec, prec + 1)
        text = f"{unparse(expr.left, left_need)} {expr.op} {unparse(expr.right, right_need)}"
    return f"({text})" if _precedence(expr) < need else text


def calls(expr: Expr) -> list[Call]:
    """Every function call in `expr`, left to right."""
    if isinstance(expr, Call):
        return [expr]
    if isinstance(expr, Not):
        return calls(expr.operand)
    if isinstance(expr, Binary | Compare):
        return calls(expr.left) + calls(expr.right)
    return []
