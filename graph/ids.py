"""Global node IDs of CodeGraph-360 and the findings raised while ingesting.

Every node ID is `<kind>:<name>`; the kind prefix keeps IDs from different sources from ever
colliding (`file:billing` and `service:billing` are different nodes) while two sources that name
the same thing (an owner in CODEOWNERS and in services.yml) land on the same node.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

FILE = "file"
MODULE = "module"
TEST = "test"
OWNER = "owner"
SERVICE = "service"
TARGET = "target"
INCIDENT = "incident"

TargetKind = Literal["nix", "image", "test"]


def file_id(path: str) -> str:
    return f"{FILE}:{path}"


def module_id(name: str, root: str = "") -> str:
    """`module:pkg.a` for a Python module under the repository root or a Go package (import
    path); `module:<root>:pkg.a` for a Python module under a source root such as `src` or
    `services/x/src`, so two projects that both hold `src/pkg/a.py` get two nodes. The ID
    depends only on the file's path, never on which other files exist."""
    return f"{MODULE}:{root}:{name}" if root else f"{MODULE}:{name}"


def test_id(path: str) -> str:
    return f"{TEST}:{path}"


def owner_id(owner: str) -> str:
    return f"{OWNER}:{owner}"


def service_id(name: str) -> str:
    return f"{SERVICE}:{name}"


def target_id(kind: str, name: str) -> str:
    return f"{TARGET}:{kind}#{name}"


def incident_id(ident: str) -> str:
    return f"{INCIDENT}:{ident}"


def kind_of(node: str) -> str:
    return node.split(":", 1)[0]


def name_of(node: str) -> str:
    return node.split(":", 1)[1]


# Pytest collects test functions; stop it from treating the helper above as one.
test_id.__test__ = False  # type: ignore[attr-defined]


class Finding(BaseModel, frozen=True):
    """A problem found in an input file: where it is and a reason code (rendered elsewhere)."""

    path: str
    line: int | None = None
    code: str
    detail: str = ""
