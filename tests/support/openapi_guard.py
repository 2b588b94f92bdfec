"""Checks that a request Maestro sent is allowed by GitHub's OpenAPI description.

Method and path must name an operation; path and query parameters must be declared and of the
right type, required ones present; a JSON body must validate against the operation's request
schema (OpenAPI 3.0 semantics, write context), and a body must not be sent where none is defined.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
from openapi_schema_validator import OAS30WriteValidator

SPEC_PATH = (
    Path(__file__).resolve().parents[1] / "fixtures" / "github-openapi" / "github-openapi.json"
)
# Parameters whose values may contain slashes.
MULTI_SEGMENT_PARAMS = {"path", "ref", "basehead"}


def _drop_discriminators(node: Any) -> Any:
    # GitHub's POST check-runs body has a discriminator without a mapping over inline schemas,
    # which an OAS validator cannot resolve; its oneOf already states the same rule.
    if isinstance(node, dict):
        return {k: _drop_discriminators(v) for k, v in node.items() if k != "discriminator"}
    if isinstance(node, list):
        return [_drop_discriminators(v) for v in node]
    return node


@cache
def load_spec() -> dict[str, Any]:
    return dict(_drop_discriminators(json.loads(SPEC_PATH.read_text())))


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        node = spec
        for part in parts:
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    compiled = []
    for template in load_spec()["paths"]:
        pattern = ""
        for piece in re.split(r"(\{[^}]+\})", template):
            if piece.startswith("{"):
                name = piece[1:-1]
                body = ".+" if name in MULTI_SEGMENT_PARAMS else "[^/]+"
                pattern += f"(?P<{name}>{body})"
            else:
                pattern += re.escape(piece)
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        compiled.append((literal, re.compile(pattern + "$"), template))
    compiled.sort(key=lambda item: -item[0])
    return [(regex, template) for _literal, regex, template in compiled]


def _validate_value(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    validator = OAS30WriteValidator(
        {
            **spec,
            "components": {
                **spec["components"],
                "schemas": {**spec["components"]["schemas"], "__v__": schema},
            },
            "$ref": "#/components/schemas/__v__",
        }
    )
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(value)
    ]


def _coerce(schema: dict[str, Any], raw: str) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
        if kind == "boolean":
            return {"true": True, "false": False}[raw]
    except (ValueError, KeyError):
        return raw
    return raw


def check_request(request: httpx.Request, base_url: str) -> list[str]:
    """Violations of GitHub's description by `request` (empty when it is allowed)."""
    spec = load_spec()
    base_path = urlsplit(base_url).path.rstrip("/")
    url = urlsplit(str(request.url))
    path = url.path
    if base_path and path.startswith(base_path):
        path = path[len(base_path) :]
    where = f"{request.method} {path}"
    found = [(regex.match(path), candidate) for regex, candidate in _templates()]
    matches = [(m, candidate) for m, candidate in found if m is not None]
    if not matches:
        return [f"{where}: no such path in GitHub's OpenAPI description"]
    match, template = matches[0]
    item = spec["paths"][template]
    operation = item.get(request.method.lower())
    if operation is None:
        return [f"{where}: {request.method} is not allowed on {template}"]
    problems: list[str] = []
    params = [
        _resolve(spec, p) for p in item.get("parameters", []) + operation.get("parameters", [])
    ]
    declared_query = {p["name"]: p for p in params if p["in"] == "query"}
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    for name, value in query.items():
        param = declared_query.get(name)
        if param is None:
            problems.append(f"{where}: query parameter {name!r} is not defined for {template}")
            continue
        schema = _resolve(spec, param.get("schema", {}))
        for error in _validate_value(spec, schema, _coerce(schema, value)):
            problems.append(f"{where}: query {name}: {error}")
    for name, param in declared_query.items():
        if param.get("required") and name not in query:
            problems.append(f"{where}: required query parameter {name!r} missing")
    for param in params:
        if param["in"] != "path":
            continue
        schema = _resolve(spec, param.get("schema", {}))
        value = _coerce(schema, unquote(match.group(param["name"])))
        for error in _validate_value(spec, schema, value):
            problems.append(f"{where}: path {param['name']}: {error}")
    body = request.content
    request_body = _resolve(spec, operation.get("requestBody"))
    if not body:
        if request_body and request_body.get("required"):
            problems.append(f"{where}: request body is required")
        return problems
    if not request_body:
        problems.append(f"{where}: sends a body but the operation defines none")
        return problems
    content = request_body.get("content", {})
    media = content.get("application/json")
    if media is None:
        problems.append(f"{where}: JSON body but the operation accepts {sorted(content)}")
        return problems
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return [*problems, f"{where}: body is not JSON: {exc}"]
    schema = _resolve(spec, media.get("schema", {}))
    problems += [f"{where}: body {error}" for error in _validate_value(spec, schema, data)]
    return problems
