"""Reading `.github/maestro.yml` from its TEXT (the caller fetched it) without side effects.

`parse_policy(text, path)` returns a `Policy`, or a `PolicyError` whose problems quote the file,
line, column and problem: YAML syntax errors from PyYAML's marks, and pydantic errors mapped back
to the YAML node they came from through the composed node tree (so `overrides[1].thresholds.
perfP95BudgetMs` points at its line). Rule syntax errors point at the column inside the rule.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from checks.policy.model import Policy
from checks.policy.problems import PolicyProblem

POLICY_PATH = ".github/maestro.yml"
MAX_POLICY_BYTES = 256 * 1024
MAX_NODES = 20_000  # aliases can make a small file a huge tree


class PolicyError(BaseModel):
    """An invalid policy file; the gate fails with these problems on the card."""

    path: str
    problems: list[PolicyProblem]


def _loc_text(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Tree:
    """The composed YAML node tree of a policy, for locating values by pydantic's `loc`."""

    def __init__(self, root: Node, text: str) -> None:
        self.root = root
        self.lines = text.splitlines()

    def find(self, loc: tuple[int | str, ...]) -> tuple[Node, Node | None]:
        """The deepest (value node, key node) `loc` reaches."""
        node: Node = self.root
        key_node: Node | None = None
        for part in loc:
            if isinstance(node, MappingNode):
                for k, v in node.value:
                    if isinstance(k, ScalarNode) and k.value == str(part):
                        node, key_node = v, k
                        break
                else:
                    return node, key_node
            elif isinstance(node, SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    node, key_node = node.value[part], None
                else:
                    return node, key_node
            else:
                return node, key_node
        return node, key_node

    def snippet(self, line: int) -> str:
        return self.lines[line - 1].rstrip() if 0 < line <= len(self.lines) else ""

    def rule_position(self, node: Node, column: int) -> tuple[int, int]:
        """1-based (line, column) of character `column` of the rule held by scalar `node`."""
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if not isinstance(node, ScalarNode):
            return line, col
        if node.style in (None, "'", '"') and node.start_mark.line == node.end_mark.line:
            return line, col + (1 if node.style else 0) + column - 1
        if node.style in ("|", ">"):
            before = node.value[: column - 1]
            target = node.start_mark.line + 2 + before.count("\n")
            first = self.snippet(node.start_mark.line + 2)  # block indentation: first line's
            indent = len(first) - len(first.lstrip(" "))
            return target, indent + len(before.rsplit("\n", 1)[-1]) + 1
        return line, col


def _count_nodes(root: Node) -> int:
    count, stack = 0, [root]
    while stack and count <= MAX_NODES:
        node = stack.pop()
        count += 1
        if isinstance(node, MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return count


def _duplicates(root: Node, tree: _Tree, path: str) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                if isinstance(k, ScalarNode):
                    if k.value in seen:
                        line = k.start_mark.line + 1
                        problems.append(
                            PolicyProblem(
                                path=path,
                                line=line,
                                column=k.start_mark.column + 1,
                                loc=k.value,
                                code="duplicate_key",
                                message=f"key {k.value!r} appears twice in this mapping",
                                snippet=tree.snippet(line),
                            )
                        )
                    seen.add(k.value)
                stack.append(v)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return sorted(problems, key=lambda p: p.line or 0)


def parse_policy(text: str | None, path: str = POLICY_PATH) -> Policy | PolicyError:
    """The policy in `text`; `None` (no file) gives the documented defaults."""
    if text is None:
        return Policy()

    def error(
        code: str, message: str, line: int | None = None, col: int | None = None, snippet: str = ""
    ) -> PolicyError:
        return PolicyError(
            path=path,
            problems=[
                PolicyProblem(
                    path=path, line=line, column=col, code=code, message=message, snippet=snippet
                )
            ],
        )

    if len(text.encode("utf-8", errors="replace")) > MAX_POLICY_BYTES:
        return error("too_large", f"the policy is larger than {MAX_POLICY_BYTES} bytes")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        return error(
            "yaml_syntax",
            " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML",
            line,
            mark.column + 1 if mark else None,
            text.splitlines()[line - 1].rstrip() if line and line <= len(text.splitlines()) else "",
        )
    except yaml.YAMLError as exc:
        return error("yaml_syntax", str(exc))
    if root is None:
        return Policy(configured=True)
    tree = _Tree(root, text)
    if _count_nodes(root) > MAX_NODES:
        return error("too_large", f"the policy has more than {MAX_NODES} YAML nodes")
    if not isinstance(root, MappingNode):
        line = root.start_mark.line + 1
        return error(
            "not_a_mapping",
            "the policy must be a mapping of settings",
            line,
            root.start_mark.column + 1,
            tree.snippet(line),
        )
    duplicates = _duplicates(root, tree, path)
    if duplicates:
        return PolicyError(path=path, problems=duplicates)
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # constructor errors (e.g. bad timestamps)
        return error("yaml_syntax", str(exc).splitlines()[0])
    try:
        policy = Policy.model_validate({**data, "configured": True})
    except ValidationError as exc:
        return PolicyError(path=path, problems=_problems(exc, tree, path))
    return policy


def _problems(exc: ValidationError, tree: _Tree, path: str) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        node, key_node = tree.find(loc)
        # an unknown key is best shown at the key itself
        mark_node = key_node if err["type"] == "extra_forbidden" and key_node else node
        line, col = mark_node.start_mark.line + 1, mark_node.start_mark.column + 1
        ctx = err.get("ctx") or {}
        if err["type"] == "rule_syntax" and isinstance(ctx.get("column"), int):
            line, col = tree.rule_position(node, ctx["column"])
        problems.append(
            PolicyProblem(
                path=path,
                line=line,
                column=col,
                loc=_loc_text(loc),
                code=err["type"],
                message=err["msg"],
                snippet=tree.snippet(line),
            )
        )
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
