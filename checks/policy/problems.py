"""A problem in a policy file, located by file, line and column (plain data, no imports from the
rest of `checks`, so the Proof Card model can carry problems without an import cycle)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PolicyProblem(BaseModel):
    path: str
    line: int | None = None
    column: int | None = None
    loc: str = Field(default="", description="dotted location, e.g. overrides[0].paths")
    code: str
    message: str = Field(description="the validator's own message")
    snippet: str = Field(default="", description="the offending source line")
