"""SBOM documents: CycloneDX JSON and XML (1.0–1.6) and SPDX JSON (2.2, 2.3, 3.0 JSON-LD)."""

from __future__ import annotations

import json
import re
import xml.parsers.expat
from typing import Any

from checks.sbom.ecosystems import from_purl
from checks.sbom.parsers.base import (
    EntryKey,
    Lines,
    Split,
    component,
    key_for,
    load_json_object,
    problem,
)


def _identity(purl: Any, name: str, group: str | None, version: str) -> tuple[str, str, str]:
    """(ecosystem, name, version) preferring the purl; ecosystem '' when none is known."""
    if isinstance(purl, str) and purl:
        got = from_purl(purl)
        if got is not None:
            eco, pname, pversion = got
            return eco, pname, version or (pversion or "")
    full = f"{group}/{name}" if group else name
    return "", full, version


def _find_key_value(lines: Lines, key: str, value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    m = re.search(rf'"{re.escape(key)}"\s*:\s*{re.escape(json.dumps(value))}', lines.text)
    return lines.line_of(m.start()) if m else None


# --- CycloneDX JSON ---------------------------------------------------------------------


def _cdx_licence(licenses: Any) -> str | None:
    if not isinstance(licenses, list):
        return None
    names: list[str] = []
    for item in licenses:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("expression"), str):
            names.append(item["expression"])
        lic = item.get("license")
        if isinstance(lic, dict):
            val = lic.get("id") or lic.get("name")
            if isinstance(val, str):
                names.append(val)
    return " AND ".join(names) if names else None


def split_cyclonedx_json(text: str, file: str) -> Split:
    fmt = "CycloneDX JSON"
    split = Split(file=file, format=fmt)
    doc = load_json_object(text, file, fmt, split)
    if doc is None:
        return split
    root_ref = None
    meta = doc.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("component"), dict):
        root_ref = meta["component"].get("bom-ref")
    direct: set[str] | None = None  # unknown unless the graph has an entry for the root
    deps = doc.get("dependencies")
    if isinstance(deps, list) and root_ref:
        for d in deps:
            if isinstance(d, dict) and d.get("ref") == root_ref:
                direct = direct or set()
                direct.update(x for x in d.get("dependsOn", []) or [] if isinstance(x, str))
    stack = [doc.get("components")]
    while stack:
        level = stack.pop()
        if not isinstance(level, list):
            continue
        for comp in level:
            if not isinstance(comp, dict):
                continue
            if isinstance(comp.get("components"), list):
                stack.append(comp["components"])
                comp = {k: v for k, v in comp.items() if k != "components"}
            name = comp.get("name")
            if not isinstance(name, str):
                continue
            eco, cname, _ = _identity(comp.get("purl"), name, comp.get("group"), "")
            disc = str(comp.get("bom-ref") or comp.get("purl") or f"{cname}@{comp.get('version')}")
            split.entries[key_for(eco, cname, disc)] = comp
    lines = Lines(text)

    def line_for(comp: dict[str, Any]) -> int | None:
        for field in ("bom-ref", "purl"):
            val = comp.get(field)
            if isinstance(val, str) and val:
                found = lines.seek(f'"{field}": {json.dumps(val)}')
                if found is None:
                    found = _find_key_value(lines, field, val)
                if found is not None:
                    return found
        return _find_key_value(lines, "name", comp.get("name"))

    def build(_key: EntryKey, comp: Any) -> list:
        version = comp.get("version") if isinstance(comp.get("version"), str) else ""
        eco, name, version = _identity(comp.get("purl"), comp["name"], comp.get("group"), version)
        ref = comp.get("bom-ref")
        return [
            component(
                name=name,
                version=version,
                ecosystem=eco,
                file=file,
                line=line_for(comp),
                direct=(ref in direct) if direct is not None and ref else None,
                licence=_cdx_licence(comp.get("licenses")),
                purl=comp.get("purl") if isinstance(comp.get("purl"), str) else None,
            )
        ]

    split.build = build
    return split


# --- CycloneDX XML ----------------------------------------------------------------------


class _NoEntities(Exception):
    pass


class _CdxXml:
    """What a CycloneDX XML document holds for us: its components (not metadata or tools) with
    their line, the bom-ref of the component it describes, and its dependency graph."""

    def __init__(self) -> None:
        self.components: list[dict[str, Any]] = []
        self.root_ref: str | None = None
        self.depends: dict[str, list[str]] = {}

    def direct_refs(self) -> set[str] | None:
        """bom-refs the described component depends on; None when the document has no graph
        for it (then direct/transitive is unknown)."""
        if self.root_ref is None or self.root_ref not in self.depends:
            return None
        return set(self.depends[self.root_ref])


def _cdx_xml_components(text: str) -> _CdxXml:
    """Read a CycloneDX XML document (see `_CdxXml`); DOCTYPEs are refused."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    doc = _CdxXml()
    out = doc.components
    path: list[str] = []
    stack: list[dict[str, Any]] = []
    text_buf: list[str] = []
    dep_owner: list[str] = []

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = local(tag)
        parent = path[-1] if path else ""
        path.append(name)
        text_buf.clear()
        if name == "component" and parent == "metadata":
            doc.root_ref = attrs.get("bom-ref")
        if name == "dependency" and "dependencies" in path:
            ref = attrs.get("ref", "")
            if parent == "dependencies" and len(path) == 3:
                dep_owner.append(ref)
                doc.depends.setdefault(ref, [])
            elif parent == "dependency" and dep_owner and len(path) == 4:
                doc.depends[dep_owner[-1]].append(ref)
        if name == "component" and parent == "components" and "metadata" not in path:
            stack.append(
                {
                    "line": parser.CurrentLineNumber,
                    "bom-ref": attrs.get("bom-ref"),
                    "depth": len(path),
                    "licenses": [],
                }
            )

    def end(tag: str) -> None:
        name = local(tag)
        value = "".join(text_buf).strip()
        text_buf.clear()
        depth = len(path)
        path.pop()
        if not stack:
            return
        cur = stack[-1]
        if name == "component" and depth == cur["depth"]:
            out.append(stack.pop())
            return
        rel = depth - cur["depth"]
        if rel == 1 and name in ("name", "version", "group", "purl"):
            cur[name] = value
        elif (name in ("id", "expression") and "licenses" in path[cur["depth"] :]) or (
            name == "name" and path[-1:] == ["license"]
        ):
            cur["licenses"].append(value)

    def chars(data: str) -> None:
        text_buf.append(data)

    def doctype(*_args: Any) -> None:
        raise _NoEntities("DOCTYPE declarations are not accepted")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    parser.Parse(text, True)
    return doc


def split_cyclonedx_xml(text: str, file: str) -> Split:
    fmt = "CycloneDX XML"
    split = Split(file=file, format=fmt)
    try:
        doc = _cdx_xml_components(text)
    except xml.parsers.expat.ExpatError as exc:
        split.problems.append(problem(file, fmt, f"invalid XML: {exc}", exc.lineno))
        return split
    except _NoEntities as exc:
        split.problems.append(problem(file, fmt, str(exc), 1))
        return split
    xml_lines: dict[EntryKey, int] = {}
    direct = doc.direct_refs()
    for comp in doc.components:
        if not comp.get("name"):
            continue
        eco, cname, _ = _identity(comp.get("purl"), comp["name"], comp.get("group"), "")
        disc = str(comp.get("bom-ref") or comp.get("purl") or f"{cname}@{comp.get('version')}")
        key = key_for(eco, cname, disc)
        xml_lines[key] = comp.pop("line")
        split.entries[key] = comp

    def build(key: EntryKey, comp: Any) -> list:
        line = xml_lines[key]
        eco, name, version = _identity(
            comp.get("purl"), comp["name"], comp.get("group"), comp.get("version") or ""
        )
        return [
            component(
                name=name,
                version=version,
                ecosystem=eco,
                file=file,
                line=line,
                direct=(comp.get("bom-ref") in direct) if direct is not None else None,
                licence=" AND ".join(comp["licenses"]) or None,
                purl=comp.get("purl") or None,
            )
        ]

    split.build = build
    return split


# --- SPDX -------------------------------------------------------------------------------

_NO_LICENCE = {"NOASSERTION", "NONE", ""}


def _spdx_purl(pkg: dict[str, Any]) -> str | None:
    for ref in pkg.get("externalRefs", []) or []:
        if (
            isinstance(ref, dict)
            and ref.get("referenceType") == "purl"
            and isinstance(ref.get("referenceLocator"), str)
        ):
            return str(ref["referenceLocator"])
    return None


def split_spdx_json(text: str, file: str) -> Split:
    fmt = "SPDX JSON"
    split = Split(file=file, format=fmt)
    doc = load_json_object(text, file, fmt, split)
    if doc is None:
        return split
    if "@graph" in doc:
        return _split_spdx3(doc, text, file, split)
    described = {d for d in doc.get("documentDescribes", []) or [] if isinstance(d, str)}
    rels = [r for r in doc.get("relationships", []) or [] if isinstance(r, dict)]
    for r in rels:
        if (
            r.get("relationshipType") == "DESCRIBES"
            and r.get("spdxElementId") == "SPDXRef-DOCUMENT"
        ):
            described.add(str(r.get("relatedSpdxElement")))
    direct: set[str] = set()
    for r in rels:
        if r.get("spdxElementId") in described and r.get("relationshipType") in (
            "DEPENDS_ON",
            "CONTAINS",
        ):
            direct.add(str(r.get("relatedSpdxElement")))
        if r.get("relatedSpdxElement") in described and r.get("relationshipType") in (
            "DEPENDENCY_OF",
        ):
            direct.add(str(r.get("spdxElementId")))
    lines = Lines(text)
    for pkg in doc.get("packages", []) or []:
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            continue
        eco, name, _ = _identity(_spdx_purl(pkg), pkg["name"], None, "")
        split.entries[key_for(eco, name, str(pkg.get("SPDXID", name)))] = pkg

    def build(_key: EntryKey, pkg: Any) -> list:
        version = pkg.get("versionInfo") if isinstance(pkg.get("versionInfo"), str) else ""
        purl = _spdx_purl(pkg)
        eco, name, version = _identity(purl, pkg["name"], None, version)
        licence = pkg.get("licenseConcluded")
        if not isinstance(licence, str) or licence in _NO_LICENCE:
            licence = pkg.get("licenseDeclared")
        if not isinstance(licence, str) or licence in _NO_LICENCE:
            licence = None
        spdxid = pkg.get("SPDXID")
        line = (
            lines.seek(f'"SPDXID": {json.dumps(spdxid)}') if isinstance(spdxid, str) else None
        ) or _find_key_value(lines, "SPDXID", spdxid)
        if line is None:
            line = _find_key_value(lines, "name", pkg["name"])
        return [
            component(
                name=name,
                version=version,
                ecosystem=eco,
                file=file,
                line=line,
                direct=(spdxid in direct) if direct and spdxid not in described else None,
                licence=licence,
                purl=purl,
            )
        ]

    split.build = build
    return split


def _split_spdx3(doc: dict[str, Any], text: str, file: str, split: Split) -> Split:
    split.format = "SPDX 3 JSON-LD"
    graph = doc.get("@graph")
    if not isinstance(graph, list):
        split.problems.append(problem(file, split.format, "@graph is not a list", 1))
        return split
    lines = Lines(text)
    for el in graph:
        if not isinstance(el, dict):
            continue
        kind = str(el.get("type") or el.get("@type") or "")
        if not kind.endswith("Package") or not isinstance(el.get("name"), str):
            continue
        purl = el.get("software_packageUrl")
        for ident in el.get("externalIdentifier", []) or []:
            if isinstance(ident, dict) and ident.get("externalIdentifierType") == "packageUrl":
                purl = ident.get("identifier")
        eco, name, _ = _identity(purl, el["name"], None, "")
        disc = str(el.get("spdxId") or el.get("@id") or el["name"])
        split.entries[key_for(eco, name, disc)] = (el, purl if isinstance(purl, str) else None)

    def build(key: EntryKey, raw: Any) -> list:
        el, purl = raw
        version = el.get("software_packageVersion")
        version = version if isinstance(version, str) else ""
        eco, name, version = _identity(purl, el["name"], None, version)
        line = lines.find_line(json.dumps(key[2]))
        return [
            component(name=name, version=version, ecosystem=eco, file=file, line=line, purl=purl)
        ]

    split.build = build
    return split
