"""Tokenizer and recursive-descent parser for the rule language (no eval, no regex backtracking
on rule text). `parse_rule` also type-checks: unknown functions, wrong arguments and operands of
the wrong type are `ParseError`s pointing at the column. Results are cached: a policy's rules are
parsed once however often they are evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from checks.rules.functions import FUNCTIONS
from checks.rules.syntax import (
    DURATION_UNITS,
    Binary,
    Call,
    Compare,
    Expr,
    Lit,
    Not,
    ParseError,
    Type,
)

MAX_RULE_LENGTH = 2000
MAX_DEPTH = 40

_OPERATORS = ("=>", "&&", "||", "<=", ">=", "==", "!=", "<", ">", "!", "(", ")", ",")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


@dataclass(frozen=True)
class Token:
    kind: str  # name | number | duration | string | op | end
    text: str
    col: int  # 1-based
    value: float | str | None = None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        start = i
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            while i < n and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(Token("name", text[start:i], start + 1))
            continue
        if ch.isascii() and ch.isdigit():
            while i < n and text[i].isascii() and text[i].isdigit():
                i += 1
            if i + 1 < n and text[i] == "." and text[i + 1].isascii() and text[i + 1].isdigit():
                i += 1
                while i < n and text[i].isascii() and text[i].isdigit():
                    i += 1
            number = float(text[start:i])
            if i < n and text[i] in DURATION_UNITS:
                unit = text[i]
                i += 1
                if i < n and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
                    raise ParseError("unexpected character after duration", text, i + 1)
                seconds = number * DURATION_UNITS[unit]
                tokens.append(Token("duration", text[start:i], start + 1, seconds))
                continue
            if i < n and text[i].isascii() and (text[i].isalpha() or text[i] == "_"):
                raise ParseError("unknown duration unit (use s, m, h, d or w)", text, i + 1)
            tokens.append(Token("number", text[start:i], start + 1, number))
            continue
        if ch in "\"'":
            quote = ch
            i += 1
            out: list[str] = []
            while True:
                if i >= n:
                    raise ParseError("unterminated string", text, start + 1)
                c = text[i]
                if c == quote:
                    i += 1
                    break
                if c == "\\":
                    if i + 1 >= n or text[i + 1] not in _ESCAPES:
                        raise ParseError("unknown escape in string", text, i + 1)
                    out.append(_ESCAPES[text[i + 1]])
                    i += 2
                    continue
                out.append(c)
                i += 1
            tokens.append(Token("string", text[start:i], start + 1, "".join(out)))
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("op", op, start + 1))
                i += len(op)
                break
        else:
            raise ParseError(f"unexpected character {ch!r}", text, start + 1)
    tokens.append(Token("end", "", n + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "end":
            self.pos += 1
        return tok

    def error(self, message: str, tok: Token | None = None) -> ParseError:
        return ParseError(message, self.text, (tok or self.peek()).col)

    def accept(self, op: str) -> Token | None:
        tok = self.peek()
        if tok.kind == "op" and tok.text == op:
            return self.next()
        return None

    def expect(self, op: str) -> Token:
        tok = self.accept(op)
        if tok is None:
            found = self.peek().text or "end of rule"
            raise self.error(f"expected '{op}' but found '{found}'")
        return tok

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("rule is nested too deeply")

    def implies(self) -> Expr:
        self.nest()
        left = self.or_()
        tok = self.accept("=>")
        if tok is not None:
            left = Binary("=>", left, self.implies(), col=tok.col)
        self.depth -= 1
        return left

    def or_(self) -> Expr:
        left = self.and_()
        links = 0
        while (tok := self.accept("||")) is not None:
            self.nest()  # a chain is a left-deep tree: every link counts as nesting
            links += 1
            left = Binary("||", left, self.and_(), col=tok.col)
        self.depth -= links
        return left

    def and_(self) -> Expr:
        left = self.not_()
        links = 0
        while (tok := self.accept("&&")) is not None:
            self.nest()
            links += 1
            left = Binary("&&", left, self.not_(), col=tok.col)
        self.depth -= links
        return left

    def not_(self) -> Expr:
        tok = self.accept("!")
        if tok is not None:
            self.nest()
            operand = self.not_()
            self.depth -= 1
            return Not(operand, col=tok.col)
        return self.compare()

    def compare(self) -> Expr:
        left = self.primary()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("<", "<=", ">", ">=", "==", "!="):
            self.next()
            right = self.primary()
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text in ("<", "<=", ">", ">=", "==", "!="):
                raise self.error("comparisons do not chain; use && between them", nxt)
            return Compare(tok.text, left, right, col=tok.col)
        return left

    def literal(self) -> Lit | None:
        tok = self.peek()
        if tok.kind == "number" and isinstance(tok.value, float):
            self.next()
            return Lit(Type.NUM, tok.value, col=tok.col)
        if tok.kind == "duration" and isinstance(tok.value, float):
            self.next()
            return Lit(Type.DUR, tok.value, col=tok.col)
        if tok.kind == "string" and isinstance(tok.value, str):
            self.next()
            return Lit(Type.STR, tok.value, col=tok.col)
        if tok.kind == "name" and tok.text in ("true", "false"):
            self.next()
            return Lit(Type.BOOL, tok.text == "true", col=tok.col)
        return None

    def primary(self) -> Expr:
        tok = self.peek()
        if self.accept("(") is not None:
            inner = self.implies()
            self.expect(")")
            return inner
        lit = self.literal()
        if lit is not None:
            return lit
        if tok.kind == "name":
            self.next()
            return self.call(tok)
        found = tok.text or "end of rule"
        raise self.error(f"expected a function call, a literal or '(' but found '{found}'")

    def call(self, name: Token) -> Call:
        if name.text not in FUNCTIONS:
            raise self.error(f"unknown function '{name.text}'", name)
        self.expect("(")
        args: list[Lit] = []
        if self.accept(")") is None:
            while True:
                lit = self.literal()
                if lit is None:
                    raise self.error("function arguments must be literals (string, number, 24h)")
                args.append(lit)
                if self.accept(")") is not None:
                    break
                self.expect(",")
        call = Call(name.text, tuple(args), col=name.col)
        FUNCTIONS[name.text].check(call, self.text)
        return call

    def parse(self) -> Expr:
        if not self.text.strip():
            raise ParseError("empty rule", self.text, 1)
        expr = self.implies()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(f"unexpected '{tok.text}' after the end of the rule", tok)
        return expr


def type_of(expr: Expr, text: str) -> Type:
    """The static type of `expr`; raises ParseError for ill-typed operands."""
    if isinstance(expr, Lit):
        return expr.type
    if isinstance(expr, Call):
        return FUNCTIONS[expr.name].returns
    if isinstance(expr, Not):
        _want(expr.operand, Type.BOOL, text, "'!' needs a true/false operand")
        return Type.BOOL
    if isinstance(expr, Binary):
        _want(expr.left, Type.BOOL, text, f"'{expr.op}' needs true/false operands")
        _want(expr.right, Type.BOOL, text, f"'{expr.op}' needs true/false operands")
        return Type.BOOL
    left, right = type_of(expr.left, text), type_of(expr.right, text)
    if expr.op in ("<", "<=", ">", ">="):
        for side, kind in ((expr.left, left), (expr.right, right)):
            if kind not in (Type.NUM, Type.DUR):
                raise ParseError(f"'{expr.op}' compares numbers, not a {kind}", text, _col(side))
    if left != right:
        raise ParseError(f"cannot compare a {left} with a {right}", text, expr.col)
    return Type.BOOL


def _col(expr: Expr) -> int:
    if isinstance(expr, Binary | Compare):
        return _col(expr.left)
    return expr.col


def _want(expr: Expr, kind: Type, text: str, message: str) -> None:
    if type_of(expr, text) is not kind:
        raise ParseError(message, text, _col(expr))


@lru_cache(maxsize=512)
def parse_rule(text: str) -> Expr:
    """Parse and type-check one rule; raises ParseError (and nothing else) on bad input."""
    if len(text) > MAX_RULE_LENGTH:
        raise ParseError(f"rule is longer than {MAX_RULE_LENGTH} characters", text, 1)
    expr = _Parser(text).parse()
    if type_of(expr, text) is not Type.BOOL:
        raise ParseError("a rule must be true or false, e.g. lines_changed() < 400", text, 1)
    return expr
