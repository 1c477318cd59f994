"""Request validation against Google's own Calendar v3 discovery document.

A copy of the document that google-api-python-client ships (``googleapiclient/discovery_cache/documents``,
Apache-2.0) sits beside this module as ``calendar.v3.json``, so the sandbox runs from an installed
package without the dev extras. A different copy can be passed explicitly (``--discovery PATH``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import GoogleError, bad_request

_GLOBAL_PARAMS = {
    "access_token",
    "alt",
    "callback",
    "fields",
    "key",
    "oauth_token",
    "prettyPrint",
    "quotaUser",
    "upload_protocol",
    "uploadType",
    "userIp",
    "$.xgafv",
}
_INT32 = (-(2**31), 2**31 - 1)
_PROTO_TYPES = {"string": "TYPE_STRING", "boolean": "TYPE_BOOL", "number": "TYPE_DOUBLE"}


def default_discovery_path() -> Path:
    return Path(__file__).resolve().parent / "calendar.v3.json"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _render(value: Any) -> str:
    return json.dumps(value)


def _invalid_json(message: str) -> GoogleError:
    return bad_request(f"Invalid JSON payload received. {message}", reason="invalid")


class Discovery:
    """Indexed view of the discovery document: schemas, methods and their parameters."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.schemas: Mapping[str, Any] = document["schemas"]
        self.methods: dict[str, Mapping[str, Any]] = {}
        self._index(document.get("resources", {}))
        self.global_params = set(document.get("parameters", {})) | _GLOBAL_PARAMS

    @classmethod
    def load(cls, path: str | Path | None = None) -> Discovery:
        location = Path(path) if path else default_discovery_path()
        return cls(json.loads(location.read_text(encoding="utf-8")))

    def _index(self, resources: Mapping[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                self.methods[method["id"]] = method
            self._index(resource.get("resources", {}))

    def scopes(self, method_id: str) -> list[str]:
        return list(self.methods[method_id].get("scopes", []))

    # ---- query parameters -------------------------------------------------------------------

    def validate_query(self, method_id: str, query: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """Check query parameters against the method; return them typed (repeated ones as lists)."""
        declared: Mapping[str, Any] = self.methods[method_id].get("parameters", {})
        result: dict[str, Any] = {}
        for name, raw in query:
            spec = declared.get(name)
            if spec is None or spec.get("location") != "query":
                if name in self.global_params:
                    continue
                raise _invalid_json(
                    f'Unknown name "{name}": Cannot bind query parameter. '
                    f"Field '{name}' could not be found in request message."
                )
            value = self._query_value(name, raw, spec)
            if spec.get("repeated"):
                result.setdefault(name, []).append(value)
            else:
                result.setdefault(name, value)
        return result

    def _query_value(self, name: str, raw: str, spec: Mapping[str, Any]) -> Any:
        kind = spec.get("type")
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise _invalid_json(f"Invalid value at '{_snake(name)}' (TYPE_BOOL), \"{raw}\"")
            return raw.lower() == "true"
        if kind == "integer":
            if not re.fullmatch(r"-?\d+", raw.strip()):
                raise _invalid_json(f"Invalid value at '{_snake(name)}' (TYPE_INT32), \"{raw}\"")
            number = int(raw)
            low = int(spec.get("minimum", _INT32[0]))
            high = int(spec.get("maximum", _INT32[1]))
            if not low <= number <= high:
                raise bad_request(
                    f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]",
                    location=name,
                )
            return number
        enum = spec.get("enum")
        if enum and raw not in enum:
            raise bad_request(f"Invalid value '{raw}'. Values must be one of: {', '.join(enum)}", location=name)
        return raw

    # ---- request bodies ---------------------------------------------------------------------

    def validate_body(self, method_id: str, body: Any) -> None:
        request = self.methods[method_id].get("request")
        if request is None:
            return
        schema = self.schemas[request["$ref"]]
        if not isinstance(body, dict):
            raise _invalid_json(f"Invalid value at 'resource' ({self._proto_name(request['$ref'])}), {_render(body)}")
        self._check(body, schema, "resource")

    def _proto_name(self, ref: str) -> str:
        return f"type.googleapis.com/google.apps.calendar.v3.{ref}"

    def _resolve(self, schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
        ref = schema.get("$ref")
        if ref:
            return self.schemas[ref], ref
        return schema, None

    def _check(self, value: Any, schema: Mapping[str, Any], path: str) -> None:
        if value is None:  # JSON null means "unset" in Google's JSON mapping
            return
        resolved, ref = self._resolve(schema)
        kind = resolved.get("type")
        if kind == "object":
            label = self._proto_name(ref) if ref else "TYPE_MESSAGE"
            if not isinstance(value, dict):
                raise _invalid_json(f"Invalid value at '{path}' ({label}), {_render(value)}")
            self._check_object(value, resolved, path)
        elif kind == "array":
            if not isinstance(value, list):
                raise _invalid_json(f"Invalid value at '{path}' (TYPE_MESSAGE), {_render(value)}")
            for index, item in enumerate(value):
                self._check(item, resolved.get("items", {}), f"{path}[{index}]")
        else:
            self._check_scalar(value, resolved, path)

    def _check_object(self, value: Mapping[str, Any], schema: Mapping[str, Any], path: str) -> None:
        properties: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                self._check(item, properties[key], f"{path}.{_snake(key)}")
            elif extra is not None:
                self._check(item, extra, f"{path}[{key!r}]")
            else:
                where = "" if path == "resource" else f" at '{path}'"
                raise _invalid_json(f'Unknown name "{key}"{where}: Cannot find field.')

    def _check_scalar(self, value: Any, schema: Mapping[str, Any], path: str) -> None:
        kind = schema.get("type")
        fmt = schema.get("format")
        ok = True
        label = _PROTO_TYPES.get(str(kind), "TYPE_STRING")
        if kind == "string":
            if fmt in ("int64", "uint64"):
                label = "TYPE_INT64"
                ok = (isinstance(value, int) and not isinstance(value, bool)) or (
                    isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None
                )
            else:
                ok = isinstance(value, str)
        elif kind == "integer":
            label = "TYPE_INT32"
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
                value = int(value)
            ok = isinstance(value, int) and not isinstance(value, bool) and _INT32[0] <= value <= _INT32[1]
        elif kind == "boolean":
            ok = isinstance(value, bool)
        elif kind == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            raise _invalid_json(f"Invalid value at '{path}' ({label}), {_render(value)}")
