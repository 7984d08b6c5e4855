"""Checks every request the product's client sends against osoz_contract/openapi.yaml (OSZ-1): the operation
exists, required parameters and headers are there and match their schemas, the bearer token is sent where the
contract asks for it, and the body is of the documented media type and valid against its schema."""

import functools
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import yaml
from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

CONTRACT = Path(settings.BASE_DIR) / "osoz_contract" / "openapi.yaml"
URI = "urn:osoz:contract"


@functools.cache
def document() -> dict:
    return yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(URI, Resource.from_contents(document(), default_specification=DRAFT202012))


def _pointer(*parts: str) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _validate(pointer: str, value, what: str) -> None:
    validator = Draft202012Validator({"$ref": f"{URI}#{pointer}"}, registry=_registry(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(value), key=lambda error: list(error.path))
    assert not errors, f"{what} breaks the contract: " + "; ".join(
        f"{'.'.join(map(str, error.path)) or '(root)'}: {error.message}" for error in errors
    )


def _operation(method: str, path: str) -> tuple[str, dict, dict[str, str]]:
    for template, item in document()["paths"].items():
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        match = re.match(pattern, path)
        if match and method.lower() in item:
            return template, item, match.groupdict()
    raise AssertionError(f"{method} {path} is not an operation of the contract")


def _parameters(template: str, item: dict, method: str) -> list[tuple[str, dict]]:
    """(JSON pointer, parameter) of the path's and the operation's parameters, references resolved."""
    found = []
    for level, holder in (((template,), item), ((template, method), item[method])):
        for index, parameter in enumerate(holder.get("parameters", [])):
            pointer = _pointer("paths", *level, "parameters", index)
            if "$ref" in parameter:
                pointer = parameter["$ref"].removeprefix("#")
                parameter = document()["components"]["parameters"][pointer.rsplit("/", 1)[1]]
            found.append((pointer, parameter))
    return found


def _typed(value: str, parameter: dict):
    schema = parameter["schema"]
    if "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return int(value) if schema.get("type") == "integer" and value.isdigit() else value


def request_check(request: httpx.Request) -> None:
    method = request.method.lower()
    template, item, path_values = _operation(request.method, request.url.path)
    operation = item[method]
    sources = {"path": path_values, "query": dict(request.url.params), "header": request.headers}
    for pointer, parameter in _parameters(template, item, method):
        value = sources[parameter["in"]].get(parameter["name"])
        if value is None:
            assert not parameter.get("required"), f"{request.method} {template} lacks {parameter['name']}"
            continue
        _validate(pointer + "/schema", _typed(value, parameter), f"{parameter['name']} of {template}")
    if operation.get("security", document()["security"]):
        assert request.headers.get("Authorization", "").startswith("Bearer "), f"{template} needs the bearer token"
    body = operation.get("requestBody")
    if body is None:
        assert not request.content, f"{request.method} {template} takes no body"
        return
    media = request.headers.get("Content-Type", "").split(";")[0]
    assert media in body["content"], f"{request.method} {template} must be sent as {', '.join(body['content'])}"
    content = request.content.decode()
    if media == "application/xml":
        data = content  # a signed document: its signature is the sandbox's to check
    else:
        data = json.loads(content) if media == "application/json" else dict(parse_qsl(content))
    pointer = _pointer("paths", template, method, "requestBody", "content", media, "schema")
    _validate(pointer, data, f"the body of {request.method} {template}")
