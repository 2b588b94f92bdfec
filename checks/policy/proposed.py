"""The policy file as a pull request proposes it: validated on the pull request itself (problems
on the lines of the head commit's file) while the gate keeps applying the base branch's policy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from checks.policy.problems import PolicyProblem


class ProposedPolicy(BaseModel):
    """`state`: valid, invalid (see `problems`), removed by the pull request, or unreadable
    (listed as changed, but GitHub gave no file at the head commit)."""

    path: str
    head_sha: str
    state: Literal["valid", "invalid", "removed", "unreadable"]
    problems: list[PolicyProblem] = Field(default_factory=list)
