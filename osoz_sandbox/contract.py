"""The contract document as the sandbox uses it: served as is, and its schemas validate every request body, so the
sandbox accepts exactly what osoz_contract/openapi.yaml promises. Validation messages are Polish."""

import datetime
import functools
import re
import uuid
from urllib.parse import urlsplit

import yaml
from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from osoz_sandbox.problems import ValidationFailed

CONTRACT_URI = "urn:osoz:contract"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_TYPE_NAMES = {
    "string": "tekst",
    "integer": "liczba całkowita",
    "number": "liczba",
    "boolean": "true lub false",
    "array": "lista",
    "object": "obiekt",
    "null": "null",
}
_FORMAT_NAMES = {
    "date": "data RRRR-MM-DD",
    "date-time": "data i godzina RFC 3339 ze strefą czasową",
    "uri": "pełny adres http(s)",
    "uuid": "UUID",
    "email": "adres e-mail",
}


@functools.cache
def contract_text() -> str:
    return settings.OSOZ_CONTRACT_PATH.read_text(encoding="utf-8")


@functools.cache
def contract_document() -> dict:
    return yaml.safe_load(contract_text())


def parse_timestamp(value: str) -> datetime.datetime | None:
    """An RFC 3339 timestamp with an explicit offset, or None."""
    if not _RFC3339.match(value):
        return None
    try:
        return datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_date(value: str) -> datetime.date | None:
    if not _DATE.match(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _is_uri(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date")(lambda value: not isinstance(value, str) or parse_date(value) is not None)
    checker.checks("date-time")(lambda value: not isinstance(value, str) or parse_timestamp(value) is not None)
    checker.checks("uri")(lambda value: not isinstance(value, str) or _is_uri(value))
    checker.checks("uuid")(lambda value: not isinstance(value, str) or _is_uuid(value))
    checker.checks("email")(lambda value: not isinstance(value, str) or "@" in value)
    return checker


@functools.cache
def _validator(pointer: str) -> Draft202012Validator:
    resource = Resource.from_contents(contract_document(), default_specification=DRAFT202012)
    registry = Registry().with_resource(CONTRACT_URI, resource)
    schema = {"$ref": f"{CONTRACT_URI}#{pointer}"}
    return Draft202012Validator(schema, registry=registry, format_checker=_format_checker())


def _message(error) -> str:
    value = error.validator_value
    match error.validator:
        case "type":
            types = value if isinstance(value, list) else [value]
            return "Nieprawidłowy typ wartości (oczekiwano: " + " lub ".join(_TYPE_NAMES[t] for t in types) + ")."
        case "format":
            return f"Nieprawidłowy format (oczekiwano: {_FORMAT_NAMES.get(value, value)})."
        case "pattern":
            return "Nieprawidłowy format wartości."
        case "minLength":
            return "To pole nie może być puste." if value == 1 else f"Najmniej {value} znaków."
        case "maxLength":
            return f"Najwyżej {value} znaków."
        case "minimum":
            return f"Najmniejsza dozwolona wartość to {value}."
        case "maximum":
            return f"Największa dozwolona wartość to {value}."
        case "maxItems":
            return f"Najwyżej {value} pozycji."
        case "enum":
            return "Niedozwolona wartość; dozwolone: " + ", ".join(str(v) for v in value) + "."
        case "const":
            return f"Jedyna dozwolona wartość to {value}."
        case _:
            return "Nieprawidłowa wartość."


def validate(schema_name: str, data) -> None:
    """Raise ValidationFailed naming every invalid field of `data` against a schema of the contract."""
    _validate_at(f"/components/schemas/{schema_name}", data)


def validate_request_body(path: str, method: str, data) -> None:
    """Validate against the JSON request body an operation of the contract declares inline (e.g. bookings accept)."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    _validate_at(f"/paths/{escaped}/{method.lower()}/requestBody/content/application~1json/schema", data)


def _validate_at(pointer: str, data) -> None:
    errors: dict[str, str] = {}
    for error in _validator(pointer).iter_errors(data):
        path = [str(part) for part in error.absolute_path]
        if error.validator == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    errors.setdefault(".".join([*path, name]), "To pole jest wymagane.")
            continue
        errors.setdefault(".".join(path) or "(body)", _message(error))
    if errors:
        raise ValidationFailed(
            "Dane są nieprawidłowe; niczego nie zmieniono.",
            errors=[{"field": field, "detail": detail} for field, detail in sorted(errors.items())],
        )
