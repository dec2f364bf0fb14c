"""Checks an API answer against the OpenAPI schema the application serves (/api/schema/)."""

from __future__ import annotations

import jsonschema
from django.test import Client


def served_schema() -> dict:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _json_schema(node, components: dict, seen: tuple = ()):
    """OpenAPI 3.0 → JSON Schema: every $ref inlined, `nullable` turned into a null type."""
    if isinstance(node, list):
        return [_json_schema(item, components, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        assert node["$ref"] not in seen, f"recursive {node['$ref']}"
        return _json_schema(components[name], components, (*seen, node["$ref"]))
    out = {key: _json_schema(value, components, seen) for key, value in node.items()}
    if out.pop("nullable", False):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def assert_answer_matches_schema(schema: dict, method: str, path: str, response) -> None:
    """The answer's status is declared for the operation `method path` (a path template, as in
    the schema), its JSON body matches the declared body and its declared headers their
    schemas."""
    operation = schema["paths"][path][method.lower()]
    declared = operation["responses"]
    assert str(response.status_code) in declared, (method, path, response.status_code)
    answer = declared[str(response.status_code)]
    components = schema["components"]["schemas"]
    body_schema = _json_schema(answer["content"]["application/json"]["schema"], components)
    errors = list(jsonschema.Draft202012Validator(body_schema).iter_errors(response.json()))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    for name, header in answer.get("headers", {}).items():
        if name in response:
            jsonschema.validate(response[name], _json_schema(header["schema"], components))
        else:
            assert not header.get("required"), f"{name} is required"


def request_body_schema(schema: dict, method: str, path: str) -> dict:
    """The JSON Schema of the JSON (or multipart) body of the operation `method path`."""
    content = schema["paths"][path][method.lower()]["requestBody"]["content"]
    media = content.get("application/json") or content["multipart/form-data"]
    return _json_schema(media["schema"], schema["components"]["schemas"])


def body_is_valid(schema: dict, method: str, path: str, body: dict) -> bool:
    """Whether the operation's request schema allows `body` (as a client's validator reads it)."""
    validator = jsonschema.Draft202012Validator(request_body_schema(schema, method, path))
    return validator.is_valid(body)
