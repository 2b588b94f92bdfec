"""Dependency manifests and lockfiles: where a `token`-named key is a package, not a credential,
and where an email address is the package's published author, not a customer's.

Three kinds of knowledge, all cheap and local:

* `dependency_value(value)`: a value that is a version, a version range or a package source
  (`^4.0.0`, `>=1.2,<2`, `4.x || 5.x`, `npm:other@^1`, `workspace:*`, `github:o/r#v1`, a
  registry URL without credentials). Such a value never is a password, whatever its key says.
* `dependency_lines(text, path)`: line indexes inside the dependency maps of known manifests
  (package.json `dependencies*`/`overrides`/`resolutions`, composer.json `require*`, TOML
  `[*dependencies*]`, `[packages]` …). Lockfiles are dependency data throughout.
* `LOCKFILE_EXEMPT_KINDS`: lockfiles are written by package managers from registry metadata;
  card, bank, phone, SSN, passport, national-id and IP shapes there are digits of hashes and
  versions, so those rules do not run on them (emails and every secret rule still do: a token
  in a `resolved` URL is a real leak).
* `in_package_file_name(text, end)`: in a lockfile, a high-entropy run inside a distribution
  file name (wheel tags such as `cp311-cp311-manylinux_2_17_aarch64`) is a name, not a secret.
* `author_lines(text, path)`: line indexes of a manifest's published author/maintainer entries
  (pyproject `authors`/`maintainers`, package.json `author`/`contributors`/`maintainers`,
  Cargo `authors`, setup.py/setup.cfg `author_email` …), found inside their blocks when the
  whole file is scanned and by the entry's own shape when only added lines are (a diff).

Section tracking is line-based (brackets counted outside strings), not a full parser: it
only ever removes candidates in files whose names say they are manifests.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from checks.pii.models import PiiType

LOCKFILE_EXEMPT_KINDS = frozenset(
    {
        PiiType.CREDIT_CARD, PiiType.IBAN, PiiType.US_SSN, PiiType.PHONE, PiiType.PASSPORT,
        PiiType.NATIONAL_ID, PiiType.IP_ADDRESS,
    }
)  # fmt: skip
MANIFEST_AUTHOR = "manifest_author"  # Finding.info: a published author/maintainer address
LOCKFILE_NAMES = frozenset(
    {
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
        "pipfile.lock", "uv.lock", "pdm.lock", "cargo.lock", "go.sum", "composer.lock",
        "gemfile.lock", "packages.lock.json", "requirements.txt", "requirements-main.txt",
    }
)  # fmt: skip
JSON_MANIFESTS = frozenset({"package.json", "composer.json", "bower.json"})
TOML_MANIFESTS = frozenset({"pyproject.toml", "cargo.toml", "pipfile"})
PY_MANIFESTS = frozenset({"setup.py", "setup.cfg"})

_JSON_DEP_KEYS = frozenset(
    {
        "dependencies", "devdependencies", "peerdependencies", "optionaldependencies",
        "bundleddependencies", "bundledependencies", "overrides", "resolutions", "require",
        "require-dev", "conflict", "replace", "provide", "suggest",
    }
)  # fmt: skip
_TOML_DEP_PARTS = frozenset(
    {
        "dependencies", "dev-dependencies", "dev_dependencies", "build-dependencies",
        "optional-dependencies", "dependency-groups", "constraint-dependencies",
        "override-dependencies",
    }
)  # fmt: skip
_TOML_DEP_TABLES = frozenset({"packages", "dev-packages"})
_AUTHOR_KEYS = frozenset({"author", "authors", "maintainer", "maintainers", "contributors"})

# A version clause: an operator and a version, a dotted version, or a wildcard.
_VERSION = r"v?\d+(?:\.(?:\d+|[xX*]))*(?:[-+][0-9A-Za-z.\-+]*)?"
_CLAUSE = (
    rf"(?:(?:[\^~]|[<>]=?|[=!~]=|~>|=)\s*{_VERSION}"
    r"|v?\d+(?:\.(?:\d+|[xX*]))+(?:[-+][0-9A-Za-z.\-+]*)?|[xX*])"
)
_VERSION_SPEC = re.compile(rf"{_CLAUSE}(?:\s*(?:\|\||,|\s-\s|\s)\s*{_CLAUSE})*")
_SOURCE_PREFIXES = (
    "npm:", "workspace:", "file:", "link:", "portal:", "patch:", "catalog:", "github:",
    "gitlab:", "bitbucket:", "git+https://", "git+ssh://", "git://",
)  # fmt: skip
_REGISTRY_URL = re.compile(
    r"https?://(?:registry\.npmjs\.org|registry\.yarnpkg\.com|npm\.pkg\.github\.com"
    r"|pypi\.org|files\.pythonhosted\.org|(?:codeload\.)?github\.com|gitlab\.com|bitbucket\.org"
    r"|(?:static\.)?crates\.io|proxy\.golang\.org|rubygems\.org|repo1?\.maven(?:\.apache)?\.org"
    r"|packagist\.org)/[^?#@\s]*"
)


def manifest_name(path: str) -> str:
    return PurePosixPath(path).name.lower()


def is_lockfile(path: str) -> bool:
    name = manifest_name(path)
    return name in LOCKFILE_NAMES or name.endswith((".lock", ".sum"))


def is_manifest(path: str) -> bool:
    name = manifest_name(path)
    return name in JSON_MANIFESTS or name in TOML_MANIFESTS or name in PY_MANIFESTS


def dependency_value(value: str) -> bool:
    """A version, version range or package source: never a credential."""
    v = value.strip().strip("\"'")
    if v.lower() in ("latest", "next", "stable", "canary"):
        return True
    if v.startswith(_SOURCE_PREFIXES):
        if "://" not in v:
            return True
        authority = v.split("://", 1)[1].split("/", 1)[0]
        # `git+https://user:token@host/...` carries a credential; `git+ssh://git@host` does not.
        return "@" not in authority or authority.split("@", 1)[0] == "git"
    if _REGISTRY_URL.fullmatch(v):
        return True
    return _VERSION_SPEC.fullmatch(v) is not None


_TOML_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_OPEN = re.compile(r"""^\s*["']?([A-Za-z][\w\-]*)["']?\s*[:=]\s*([\[{])""")
_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'""")


def _depth_change(line: str) -> int:
    bare = _STRING.sub("", line).split("#", 1)[0]
    return bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")


def _blocks(lines: list[str], keys: frozenset[str], lower: bool) -> set[int]:
    """Indexes of lines inside `key: {…}` / `key = […]` blocks whose key is in `keys`."""
    out: set[int] = set()
    depth = 0
    for i, line in enumerate(lines):
        if depth > 0:
            out.add(i)
            depth += _depth_change(line)
            depth = max(depth, 0)
            continue
        m = _KEY_OPEN.match(line)
        if m and (m.group(1).lower() if lower else m.group(1)) in keys:
            out.add(i)
            depth = max(_depth_change(line[m.start(2) :]), 0)
    return out


def _toml_tables(lines: list[str]) -> set[int]:
    out: set[int] = set()
    inside = False
    for i, line in enumerate(lines):
        m = _TOML_HEADER.match(line)
        if m:
            name = m.group(1).replace('"', "").replace("'", "").lower()
            parts = name.split(".")
            inside = (
                bool(_TOML_DEP_PARTS.intersection(parts))
                or name in _TOML_DEP_TABLES
                or name.startswith("patch.")
            )
            continue
        if inside:
            out.add(i)
    return out


_TOKEN_TAIL = re.compile(r"""[^\s"'`,;()<>\[\]{}]*""")
_PACKAGE_FILE = re.compile(
    r"(?:\.[A-Za-z0-9_+\-]+)*\.(?:whl|tar\.gz|tgz|tar\.bz2|zip|egg|crate|gem|jar|nupkg)"
)


def in_package_file_name(text: str, end: int) -> bool:
    """Whether the token that ends at or runs on from `end` is a distribution file name
    (`PyYAML-6.0.1-cp311-cp311-manylinux_2_17_aarch64.whl`, `braces-3.0.2.tgz`)."""
    tail = _TOKEN_TAIL.match(text, end)
    return tail is not None and _PACKAGE_FILE.fullmatch(tail.group(0)) is not None


def dependency_lines(text: str, path: str) -> set[int]:
    """0-based indexes of lines inside the dependency maps of a known manifest."""
    name = manifest_name(path)
    if name not in JSON_MANIFESTS and name not in TOML_MANIFESTS:
        return set()
    lines = text.split("\n")
    if name in JSON_MANIFESTS:
        return _blocks(lines, _JSON_DEP_KEYS, lower=True)
    return _toml_tables(lines) | _blocks(lines, _TOML_DEP_PARTS, lower=True)


_NAME_ANGLE_EMAIL = re.compile(r"""["'][^"'<>@]*<[^<>\s"']+@[^<>\s"']+>""")
_INLINE_PERSON = re.compile(r"""\bname["']?\s*[:=].*\bemail["']?\s*[:=]""", re.IGNORECASE)
_AUTHOR_KEY_LINE = re.compile(
    r"""^\s*["']?(?:authors?|maintainers?|contributors|author_email|maintainer_email)["']?"""
    r"""\s*[:=]""",
    re.IGNORECASE,
)
_PY_AUTHOR_ARG = re.compile(r"\b(?:author|maintainer)_email\s*=", re.IGNORECASE)
_GEMSPEC_AUTHOR = re.compile(r"\.\s*(?:email|authors?)\s*=")


def author_entry(line: str, path: str) -> bool:
    """Whether `line` alone has the shape of a published author/maintainer entry."""
    name = manifest_name(path)
    if name.endswith(".gemspec"):
        return _GEMSPEC_AUTHOR.search(line) is not None
    if name in PY_MANIFESTS:
        return _PY_AUTHOR_ARG.search(line) is not None
    if name not in JSON_MANIFESTS and name not in TOML_MANIFESTS:
        return False
    return bool(
        _AUTHOR_KEY_LINE.match(line)
        or _NAME_ANGLE_EMAIL.search(line)
        or _INLINE_PERSON.search(line)
    )


def has_author_entries(path: str) -> bool:
    """Whether the file is a manifest that publishes author or maintainer addresses."""
    return is_manifest(path) or manifest_name(path).endswith(".gemspec")


def author_lines(text: str, path: str) -> set[int]:
    """0-based indexes of lines that are author/maintainer entries of a manifest."""
    if not has_author_entries(path):
        return set()
    lines = text.split("\n")
    out = {i for i, line in enumerate(lines) if author_entry(line, path)}
    name = manifest_name(path)
    if name in JSON_MANIFESTS or name in TOML_MANIFESTS:
        out |= _blocks(lines, _AUTHOR_KEYS, lower=True)
    return out
