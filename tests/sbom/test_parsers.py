"""Every corpus and tool-generated file parses; components, lines, direct/dev flags and
format detection are right; malformed input gives a ParseProblem with file and line."""

from __future__ import annotations

import pytest

from checks.sbom import detect_format, parse_manifest
from checks.sbom.parsers import sniff_format
from sbom.paths import CORPUS, GEN, LOCK, SBOM

ALL_FILES = sorted(
    p
    for p in SBOM.rglob("*")
    if p.is_file()
    and p.name not in ("README.md", "Pipfile")
    and not any(part.startswith(".") for part in p.relative_to(SBOM).parts)
)


def _parse(path, name=None):
    return parse_manifest(name or str(path), path.read_bytes())


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(SBOM)))
def test_every_fixture_parses_without_problems(path):
    result = _parse(path)
    assert result.format != "unknown"
    assert result.problems == []
    vex_only = "VEX" in path.parts and path.name == "vex.json"
    if not vex_only:
        assert result.components, "no components read"
    for c in result.components:
        assert c.name
        assert c.file == str(path)
        assert c.line is None or c.line >= 1


def test_big_flat_bom_from_corpus():
    path = CORPUS / "sbom/cyclonedx/bom-examples/SBOM/juice-shop/via_npm/flat/bom.1.4.json"
    if not path.exists():
        pytest.skip("shared corpus not beside the repository")
    result = _parse(path)
    assert result.problems == []
    assert len(result.components) == 1115


def _line_text(path, line):
    return path.read_text().splitlines()[line - 1]


@pytest.mark.parametrize(
    "rel,count",
    [
        ("npm/octokit-webhooks/0355b158c05f/package-lock.json", 643),
        ("npm/octokit-webhooks/76f8deb2d40c/package-lock.json", 148),
        ("poetry/python-poetry-poetry-core/e8bbbe6d8cb1/poetry.lock", 49),
        ("pip/sigstore-gh-action-sigstore-python/cbab91d8551b/main.txt", 31),
        ("cargo/rustsec-rustsec/b2af1cc8c192/Cargo.lock", 412),
        ("go/sigstore-rekor/d53aa51f4c39/go.sum", 274),
    ],
)
def test_lockfile_components_point_at_their_line(rel, count):
    path = LOCK / rel
    comps = _parse(path).components
    assert len(comps) == count
    for c in comps:
        if c.name == "stdlib":
            continue
        text = _line_text(path, c.line)
        assert c.name in text or c.name.split("/")[-1] in text, (c, text)


def test_hashed_requirements_detected_by_content_and_read():
    path = LOCK / "pip/sigstore-gh-action-sigstore-python/cbab91d8551b/main.txt"
    text = path.read_text()
    assert detect_format("requirements/main.txt", text) == "requirements"
    assert sniff_format(text) == "requirements"
    comps = {c.name: c for c in parse_manifest("main.txt", text).components}
    assert comps["sigstore"].version == "4.4.0"
    assert comps["sigstore"].line == 743
    assert comps["sigstore"].purl == "pkg:pypi/sigstore@4.4.0"
    assert comps["pydantic"].version == "2.13.4"  # 'pydantic[email]==2.13.4' with extras
    # uv pip compile marks the direct ones with '# via -r requirements/main.in'
    assert comps["sigstore"].direct is True and comps["requests"].direct is True
    assert comps["certifi"].direct is False


def test_requirements_includes_markers_and_options():
    files = {
        "reqs/base.txt": "requests==2.31.0 ; python_version >= '3.8'\n-r more/extra.txt\n",
        "reqs/more/extra.txt": (
            "--index-url https://example.invalid/simple\n"
            "urllib3[socks]==2.0.6 \\\n    --hash=sha256:aaaa\n"
            "idna>=3  # unpinned\n-e ./local\n"
        ),
    }

    def resolve(target, including):
        import posixpath

        return files.get(posixpath.normpath(posixpath.join(posixpath.dirname(including), target)))

    result = parse_manifest("reqs/base.txt", files["reqs/base.txt"], resolve=resolve)
    assert result.problems == []
    got = {(c.name, c.version, c.file, c.line) for c in result.components}
    assert got == {
        ("requests", "2.31.0", "reqs/base.txt", 1),
        ("urllib3", "2.0.6", "reqs/more/extra.txt", 2),
        ("idna", "", "reqs/more/extra.txt", 4),
    }


def test_requirements_missing_include_and_bad_line_are_problems():
    text = "requests==2.31.0\n-r missing.txt\nthis is not ( a requirement\n"
    result = parse_manifest("requirements.txt", text, resolve=lambda _t, _f: None)
    assert [c.name for c in result.components] == ["requests"]
    assert {(p.line, p.file) for p in result.problems} == {
        (2, "requirements.txt"),
        (3, "requirements.txt"),
    }


def test_cargo_v1_metadata_and_direct_flags():
    comps = _parse(LOCK / "cargo/rustsec-rustsec-cargo-audit-fixture-base64_vuln/Cargo.lock")
    by = {c.name: c for c in comps.components}
    assert set(by) == {"base64", "byteorder"}  # base64_vuln is the workspace crate itself
    assert by["base64"].version == "0.5.1" and by["base64"].ecosystem == "crates.io"
    assert by["base64"].direct is True and by["byteorder"].direct is False
    assert by["base64"].line == 4


def test_go_mod_directives():
    text = (
        "module example.com/m\n\ngo 1.21\n\ntoolchain go1.22.1\n\nrequire (\n"
        "\tgolang.org/x/text v0.3.6\n\tgithub.com/a/b v1.0.0 // indirect\n"
        "\texample.com/local v1.0.0\n)\n\nrequire golang.org/x/net v0.17.0\n\n"
        "replace github.com/a/b => github.com/fork/b v1.0.1\n"
        "replace example.com/local => ../local\n"
    )
    by = {c.name: c for c in parse_manifest("go.mod", text).components}
    assert by["golang.org/x/text"].version == "v0.3.6" and by["golang.org/x/text"].direct
    assert by["golang.org/x/net"].line == 13
    assert by["github.com/fork/b"].version == "v1.0.1" and by["github.com/fork/b"].direct is False
    assert by["example.com/local"].version == ""
    assert by["stdlib"].version == "1.22.1"  # toolchain wins over the go directive


def test_package_lock_v2_direct_dev_and_nested():
    path = LOCK / "npm/octokit-webhooks/0355b158c05f/package-lock.json"
    comps = _parse(path).components
    semvers = sorted({c.version for c in comps if c.name == "semver"})
    assert semvers == ["5.7.1", "6.3.0", "7.3.7"]
    ajv = [c for c in comps if c.name == "ajv" and c.direct]
    assert ajv and all(c.dev for c in ajv)


def test_package_lock_v1_nested_tree():
    text = """{
  "name": "x", "version": "1.0.0", "lockfileVersion": 1, "requires": true,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "dependencies": {
        "b": {
          "version": "2.0.0"
        }
      }
    },
    "b": {
      "version": "1.0.0",
      "dev": true
    }
  }
}
"""
    comps = parse_manifest("package-lock.json", text).components
    got = sorted((c.name, c.version, c.line, c.dev) for c in comps)
    assert got == [("a", "1.0.0", 4, False), ("b", "1.0.0", 12, True), ("b", "2.0.0", 7, False)]


GENERATED_NPM = {
    ("@octokit/webhooks-methods", "5.1.0"),
    ("braces", "3.0.3"),
    ("fill-range", "7.1.1"),
    ("is-number", "7.0.0"),
    ("lru-cache", "6.0.0"),
    ("micromatch", "4.0.5"),
    ("picomatch", "2.3.2"),
    ("semver", "7.3.7"),
    ("to-regex-range", "5.0.1"),
    ("yallist", "4.0.0"),
}


@pytest.mark.parametrize(
    "rel",
    [
        "npm/package-lock.json",
        "npm-v1/package-lock.json",
        "pnpm-v9/pnpm-lock.yaml",
        "pnpm-v6/pnpm-lock.yaml",
        "pnpm-v5/pnpm-lock.yaml",
        "yarn-v1/yarn.lock",
        "yarn-berry/yarn.lock",
    ],
)
def test_generated_npm_family_lockfiles_agree(rel):
    path = GEN / rel
    result = _parse(path)
    assert result.problems == []
    assert {(c.name, c.version) for c in result.components} == GENERATED_NPM
    for c in result.components:
        assert c.name in _line_text(path, c.line)
        assert c.purl and c.purl.startswith("pkg:npm/")
    by = {c.name: c for c in result.components}
    if "-v1" not in rel:  # npm and yarn v1 locks do not record the project's dependencies
        assert by["semver"].direct is True and by["braces"].direct is False
    if rel.startswith(("pnpm", "npm")):
        assert by["semver"].dev is False


@pytest.mark.parametrize("rel", ["uv/uv.lock", "pipenv/Pipfile.lock"])
def test_generated_python_lockfiles(rel):
    path = GEN / rel
    result = _parse(path)
    assert result.problems == []
    by = {c.name: c for c in result.components}
    assert by["requests"].version == "2.31.0"  # pinned in both; urllib3 only in pyproject
    assert by["urllib3"].version == ("2.0.6" if rel.startswith("uv") else by["urllib3"].version)
    assert by["requests"].purl == "pkg:pypi/requests@2.31.0"
    for c in result.components:
        assert c.name in _line_text(path, c.line)
    if rel.startswith("uv"):
        assert "maestro-fixture" not in by  # the project itself
        assert by["requests"].direct is True and by["idna"].direct is False
    else:
        assert by["pytest"].dev is True and by["requests"].dev is False


@pytest.mark.parametrize("name", ["bom.xml", "bom.cdx.json"])
def test_cyclonedx_xml_and_json_from_the_same_tool_agree(name):
    result = _parse(GEN / "cyclonedx-py" / name)
    assert result.problems == []
    assert {(c.name, c.version, c.ecosystem) for c in result.components} == {
        ("requests", "2.31.0", "PyPI"),
        ("urllib3", "2.0.6", "PyPI"),
        ("idna", "3.6", "PyPI"),
    }


def test_cyclonedx_tools_and_metadata_are_not_components():
    names = {c.name for c in _parse(GEN / "cyclonedx-py/bom.xml").components}
    assert "cyclonedx-python-lib" not in names


def test_cyclonedx_maven_and_composer_identities():
    drop = _parse(SBOM / "cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.json").components
    guava = next(c for c in drop if c.name == "com.google.guava:guava")
    assert guava.ecosystem == "Maven" and guava.version == "24.1.1-jre"
    assert guava.licence == "Apache-2.0"
    lara = _parse(SBOM / "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.json").components
    assert any(c.name == "laravel/framework" and c.ecosystem == "Packagist" for c in lara)


def test_spdx_packages_with_purls_and_licences():
    comps = _parse(SBOM / "spdx/spdx-examples/software/example11/spdx2.3/sbom.spdx.json")
    by = {c.name: c for c in comps.components}
    assert by["tokio"].ecosystem == "crates.io" and by["tokio"].version == "1.19.2"
    assert by["tokio"].licence == "MIT" and by["tokio"].direct is True
    spdx3 = _parse(SBOM / "spdx/spdx-examples/software/example11/spdx3.0/sbom.spdx3.json")
    assert {(c.name, c.version) for c in spdx3.components} >= {("tokio", "1.19.2")}


MALFORMED = [
    ("poetry.lock", '[[package]]\nname = "a"\nversion = "1.0"\n\n[[package]]\nname = "b\n', 6),
    ("Cargo.lock", 'version = 4\n\n[[package]]\nname = "a"\nversion = = "1"\nsource = "x"\n', 5),
    ("package-lock.json", '{\n  "lockfileVersion": 3,\n  "packages": {\n    "x": \n}', 5),
    ("Pipfile.lock", '{"_meta": {},\n "default": [}', 2),
    (
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\n\npackages:\n\n  a@1.0.0:\n    resolution: {a\n",
        7,
    ),
    ("go.sum", "golang.org/x/text v0.3.7 h1:abc=\nnot a go.sum line\n", 2),
    ("bom.xml", '<bom xmlns="http://cyclonedx.org/schema/bom/1.5">\n<components>\n</bom>\n', 3),
    ("requirements.txt", "ok==1.0\nbad==1.0 ; not_a_marker == 'x'\n", 2),
]


@pytest.mark.parametrize("name,text,line", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_files_give_a_problem_with_file_and_line(name, text, line):
    result = parse_manifest(name, text)
    assert result.problems, result
    assert result.problems[0].file == name
    assert result.problems[0].line == line


def test_unknown_file_is_a_problem_not_an_exception():
    result = parse_manifest("notes.md", b"# hello\n")
    assert result.format == "unknown" and result.problems and not result.components


def test_xml_entities_are_refused():
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE bom [<!ENTITY a "aaaa">]>\n'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components/></bom>'
    )
    result = parse_manifest("bom.xml", bomb)
    assert result.problems and not result.components


@pytest.mark.parametrize(
    "name,expected",
    [
        ("poetry/python-poetry-poetry-core/e8bbbe6d8cb1/poetry.lock", "poetry.lock"),
        ("cargo/rustsec-rustsec/b2af1cc8c192/Cargo.lock", "Cargo.lock"),
        ("npm/octokit-webhooks/0355b158c05f/package-lock.json", "package-lock.json"),
        ("go/sigstore-rekor/d53aa51f4c39/go.sum", "go.sum"),
        ("go/sigstore-rekor/d53aa51f4c39/go.mod", "go.mod"),
    ],
)
def test_detection_by_content_alone(name, expected):
    assert sniff_format((LOCK / name).read_text()) == expected


@pytest.mark.parametrize(
    "rel,expected",
    [
        ("uv/uv.lock", "uv.lock"),
        ("pipenv/Pipfile.lock", "Pipfile.lock"),
        ("yarn-v1/yarn.lock", "yarn.lock"),
        ("yarn-berry/yarn.lock", "yarn.lock"),
        ("pnpm-v9/pnpm-lock.yaml", "pnpm-lock.yaml"),
        ("pnpm-v5/pnpm-lock.yaml", "pnpm-lock.yaml"),
        ("npm-v1/package-lock.json", "package-lock.json"),
        ("cyclonedx-py/bom.xml", "cyclonedx-xml"),
        ("cyclonedx-py/bom.cdx.json", "cyclonedx-json"),
    ],
)
def test_detection_by_content_generated(rel, expected):
    assert sniff_format((GEN / rel).read_text()) == expected
