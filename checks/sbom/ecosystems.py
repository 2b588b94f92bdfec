"""Ecosystem names (OSV spelling), package-name normalisation and package URLs."""

from __future__ import annotations

import re
from functools import lru_cache

from packageurl import PackageURL

PYPI = "PyPI"
NPM = "npm"
GO = "Go"
CRATES_IO = "crates.io"
MAVEN = "Maven"
PACKAGIST = "Packagist"
RUBYGEMS = "RubyGems"
NUGET = "NuGet"

# purl type -> OSV ecosystem
PURL_TYPE_TO_ECOSYSTEM: dict[str, str] = {
    "pypi": PYPI,
    "npm": NPM,
    "golang": GO,
    "cargo": CRATES_IO,
    "maven": MAVEN,
    "composer": PACKAGIST,
    "gem": RUBYGEMS,
    "nuget": NUGET,
    "hex": "Hex",
    "pub": "Pub",
    "swift": "SwiftURL",
    "cran": "CRAN",
    "hackage": "Hackage",
    "conan": "ConanCenter",
    "deb": "Debian",
    "apk": "Alpine",
}
ECOSYSTEM_TO_PURL_TYPE: dict[str, str] = {v: k for k, v in PURL_TYPE_TO_ECOSYSTEM.items()}

_PEP503 = re.compile(r"[-_.]+")


def pep503(name: str) -> str:
    """PEP 503 normalised project name."""
    return _PEP503.sub("-", name).lower()


def base_ecosystem(ecosystem: str) -> str:
    """OSV ecosystems may carry a suffix ('Debian:12', 'Alpine:v3.19'); return the base name."""
    return ecosystem.split(":", 1)[0]


@lru_cache(maxsize=65536)
def normalise_name(ecosystem: str, name: str) -> str:
    """The name used as an index key: PEP 503 for PyPI, case-folded where the registry is."""
    eco = base_ecosystem(ecosystem)
    if eco == PYPI:
        return pep503(name)
    if eco in (PACKAGIST, NUGET, "Hex", "Pub"):
        return name.lower()
    return name


@lru_cache(maxsize=65536)
def make_purl(ecosystem: str, name: str, version: str | None) -> str | None:
    """A package URL for the component, or None when the ecosystem has no purl type."""
    ptype = ECOSYSTEM_TO_PURL_TYPE.get(base_ecosystem(ecosystem))
    if ptype is None or not name:
        return None
    namespace: str | None = None
    pname = name
    if ptype == "npm" and name.startswith("@") and "/" in name:
        namespace, pname = name.split("/", 1)
    elif ptype == "golang" and "/" in name:
        namespace, pname = name.rsplit("/", 1)
    elif ptype == "maven" and ":" in name:
        namespace, pname = name.split(":", 1)
    elif ptype == "composer" and "/" in name:
        namespace, pname = name.split("/", 1)
    try:
        return PackageURL(
            type=ptype, namespace=namespace, name=pname, version=version or None
        ).to_string()
    except ValueError:
        return None


def from_purl(purl: str) -> tuple[str, str, str | None] | None:
    """(ecosystem, name, version) from a package URL; None if it cannot be read or mapped."""
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    eco = PURL_TYPE_TO_ECOSYSTEM.get(p.type)
    if eco is None:
        return None
    if p.type in ("deb", "apk", "rpm"):
        name = p.name  # the namespace is the distribution, not part of the package name
    elif p.type == "maven":
        name = f"{p.namespace}:{p.name}" if p.namespace else p.name
    elif p.namespace:
        name = f"{p.namespace}/{p.name}"
    else:
        name = p.name
    return eco, name, p.version
