"""What kind of file a path is: picks redaction syntax, unquoted-value rules and model features."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import PurePosixPath


class Lang(StrEnum):
    PYTHON = "python"
    JAVASCRIPT = "javascript"
    GO = "go"
    RUBY = "ruby"
    JAVA = "java"
    RUST = "rust"
    SHELL = "shell"
    YAML = "yaml"
    GH_WORKFLOW = "gh_workflow"
    DOTENV = "dotenv"
    INI = "ini"
    JSON = "json"
    TOML = "toml"
    MARKDOWN = "markdown"
    OTHER = "other"


_BY_SUFFIX: dict[str, Lang] = {
    ".py": Lang.PYTHON, ".pyi": Lang.PYTHON, ".ipynb": Lang.JSON,
    ".js": Lang.JAVASCRIPT, ".jsx": Lang.JAVASCRIPT, ".mjs": Lang.JAVASCRIPT,
    ".cjs": Lang.JAVASCRIPT, ".ts": Lang.JAVASCRIPT, ".tsx": Lang.JAVASCRIPT,
    ".go": Lang.GO, ".rb": Lang.RUBY, ".java": Lang.JAVA, ".kt": Lang.JAVA, ".scala": Lang.JAVA,
    ".rs": Lang.RUST, ".sh": Lang.SHELL, ".bash": Lang.SHELL, ".zsh": Lang.SHELL,
    ".yaml": Lang.YAML, ".yml": Lang.YAML, ".env": Lang.DOTENV,
    ".ini": Lang.INI, ".cfg": Lang.INI, ".conf": Lang.INI, ".properties": Lang.INI,
    ".json": Lang.JSON, ".toml": Lang.TOML, ".md": Lang.MARKDOWN, ".rst": Lang.MARKDOWN,
    ".txt": Lang.MARKDOWN,
}  # fmt: skip

# Languages whose config syntax lets a secret appear without quotes (KEY=value, key: value).
UNQUOTED_VALUE_LANGS = frozenset(
    {Lang.YAML, Lang.GH_WORKFLOW, Lang.DOTENV, Lang.INI, Lang.SHELL, Lang.OTHER}
)

_TEST_PATH = re.compile(
    r"(?:^|/)(?:tests?|testing|spec|specs|__tests__|fixtures?|testdata|mocks?|examples?|samples?)"
    r"(?:/|$)|(?:^|/)test_[^/]*$|_test\.[a-z]+$|\.(?:spec|test)\.[a-z]+$|conftest\.py$",
    re.IGNORECASE,
)


def language_of(path: str) -> Lang:
    p = PurePosixPath(path)
    name = p.name.lower()
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return Lang.DOTENV
    suffix = p.suffix.lower()
    lang = _BY_SUFFIX.get(suffix, Lang.OTHER)
    if lang is Lang.YAML and ".github/workflows/" in "/" + path:
        return Lang.GH_WORKFLOW
    return lang


def extension_of(path: str) -> str:
    """The lower-cased suffix without the dot ('' if none); `.env` files give 'env'."""
    name = PurePosixPath(path).name.lower()
    if name.startswith(".env"):
        return "env"
    suffix = PurePosixPath(name).suffix
    return suffix[1:] if suffix else ""


def is_test_path(path: str) -> bool:
    """Tests, fixtures, examples and mocks: where fake credentials usually live."""
    return bool(_TEST_PATH.search(path))
