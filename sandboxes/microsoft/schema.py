"""Request-body validation against Microsoft's own Graph v1.0 models (the ``msgraph-sdk`` package).

Each generated model lists its JSON properties in ``get_field_deserializers()``; every deserializer calls one
typed reader on a parse node (``get_bool_value``, ``get_enum_value(FreeBusyStatus)``, ``get_object_value(...)``,
...). :class:`_Node` is such a parse node over plain JSON that *checks* instead of converting, so unknown
properties, wrong JSON types and bad enum values are refused the way Graph's OData reader refuses them
(400 ``RequestBodyRead``) without this module restating the schema.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from enum import Enum
from functools import cache
from typing import Any

from .errors import GraphError, body_read

_INT32 = (-(2**31), 2**31 - 1)


def _type_name(model: object) -> str:
    name = type(model).__name__
    return "microsoft.graph." + name[:1].lower() + name[1:]


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "StartObject"
    if isinstance(value, list):
        return "StartArray"
    return "PrimitiveValue"


class _Node:
    """A kiota ParseNode that validates ``value`` when the model asks for a type."""

    def __init__(self, value: Any, path: str) -> None:
        self.value = value
        self.path = path

    # -- errors
    def _expect(self, edm: str, ok: bool) -> None:
        if not ok:
            shown = self.value if not isinstance(self.value, dict | list) else _json_kind(self.value)
            raise body_read(f"Cannot convert the literal '{shown}' to the expected type '{edm}' (at '{self.path}').")

    def _primitive(self) -> None:
        if isinstance(self.value, dict | list):
            raise body_read(
                f"An unexpected '{_json_kind(self.value)}' node was found when reading from the JSON reader. "
                f"A 'PrimitiveValue' node was expected (at '{self.path}')."
            )

    # -- kiota ParseNode surface used by the generated models
    def get_child_node(self, identifier: str) -> _Node | None:
        if isinstance(self.value, dict) and identifier in self.value:
            return _Node(self.value[identifier], f"{self.path}.{identifier}")
        return None

    def get_str_value(self) -> str | None:
        self._primitive()
        self._expect("Edm.String", isinstance(self.value, str))
        return str(self.value)

    def get_bool_value(self) -> bool | None:
        self._primitive()
        self._expect("Edm.Boolean", isinstance(self.value, bool))
        return bool(self.value)

    def get_int_value(self) -> int | None:
        self._primitive()
        ok = isinstance(self.value, int) and not isinstance(self.value, bool) and _INT32[0] <= self.value <= _INT32[1]
        self._expect("Edm.Int32", ok)
        return int(self.value)

    def get_float_value(self) -> float | None:
        self._primitive()
        self._expect("Edm.Double", isinstance(self.value, int | float) and not isinstance(self.value, bool))
        return float(self.value)

    def get_uuid_value(self) -> uuid.UUID | None:
        self.get_str_value()
        try:
            return uuid.UUID(self.value)
        except ValueError:
            self._expect("Edm.Guid", False)
            raise

    def get_datetime_value(self) -> datetime | None:
        self._parsed("Edm.DateTimeOffset", lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")[:26]))
        return None

    def get_date_value(self) -> date | None:
        self._parsed("Edm.Date", lambda text: date.fromisoformat(text) if len(text) == 10 else int("x"))
        return None

    def get_time_value(self) -> time | None:
        self._parsed("Edm.TimeOfDay", lambda text: time.fromisoformat(text[:15]))
        return None

    def get_timedelta_value(self) -> Any:
        self._parsed("Edm.Duration", lambda text: re.fullmatch(r"-?P[0-9DTHMS.W]+", text) or int("x"))
        return None

    def get_bytes_value(self) -> bytes | None:
        self._parsed("Edm.Binary", lambda text: base64.b64decode(text, validate=True))
        return None

    def _parsed(self, edm: str, parse: Callable[[str], object]) -> None:
        self._primitive()
        self._expect(edm, isinstance(self.value, str))
        try:
            parse(self.value)
        except (ValueError, binascii.Error):
            self._expect(edm, False)

    def get_enum_value(self, enum_class: type[Enum]) -> Enum | None:
        self._primitive()
        self._expect(f"microsoft.graph.{_enum_name(enum_class)}", isinstance(self.value, str))
        members = {str(m.value): m for m in enum_class}
        flags = [part.strip() for part in str(self.value).split(",")]
        if not all(part in members for part in flags):
            raise body_read(f"Requested value '{self.value}' was not found (at '{self.path}').")
        return members[flags[0]]

    def get_collection_of_enum_values(self, enum_class: type[Enum]) -> list[Enum] | None:
        return [node.get_enum_value(enum_class) for node in self._items()]  # type: ignore[misc]

    def get_collection_of_primitive_values(self, primitive_type: type) -> list[Any] | None:
        readers: dict[type, Callable[[_Node], Any]] = {
            str: _Node.get_str_value, bool: _Node.get_bool_value, int: _Node.get_int_value,
            float: _Node.get_float_value, uuid.UUID: _Node.get_uuid_value, datetime: _Node.get_datetime_value,
            date: _Node.get_date_value, time: _Node.get_time_value, bytes: _Node.get_bytes_value,
        }  # fmt: skip
        reader = readers.get(primitive_type, _Node.get_str_value)
        return [reader(node) for node in self._items()]

    def get_collection_of_object_values(self, factory: Any) -> list[Any] | None:
        return [node.get_object_value(factory) for node in self._items()]

    def get_object_value(self, factory: Any) -> Any:
        if not isinstance(self.value, dict):
            raise body_read(
                f"An unexpected '{_json_kind(self.value)}' node was found when reading from the JSON reader. "
                f"A 'StartObject' node was expected (at '{self.path}')."
            )
        model = factory.create_from_discriminator_value(self)
        fields = _fields(type(model), model)
        for key, value in self.value.items():
            if key.startswith("@") and key != "@odata.type":
                continue  # instance annotations (@odata.etag, @odata.context, ...) are ignored by the reader
            reader = fields.get(key)
            if reader is None:
                raise body_read(
                    f"The property '{key}' does not exist on type '{_type_name(model)}'. Make sure to only use "
                    "property names that are defined by the type or mark the type as open type."
                )
            if value is not None:
                reader(_Node(value, f"{self.path}.{key}" if self.path else key))
        return model

    def _items(self) -> list[_Node]:
        if not isinstance(self.value, list):
            raise body_read(
                f"An unexpected '{_json_kind(self.value)}' node was found when reading from the JSON reader. "
                f"A 'StartArray' node was expected (at '{self.path}')."
            )
        return [_Node(item, f"{self.path}[{i}]") for i, item in enumerate(self.value)]

    # kiota hooks the generated code may touch
    on_before_assign_field_values = None
    on_after_assign_field_values = None


_FIELDS: dict[type, dict[str, Callable[[Any], None]]] = {}


def _fields(model_type: type, model: Any) -> dict[str, Callable[[Any], None]]:
    """The model's readers by JSON name, built once per model type.

    The SDK builds this dict on every call (``Entity``'s imports every derived type: ~25 ms an event). The
    readers assign to the model they were built on; validation discards it, so one instance per type serves."""
    fields = _FIELDS.get(model_type)
    if fields is None:
        fields = _FIELDS[model_type] = model.get_field_deserializers()
    return fields


def _enum_name(enum_class: type[Enum]) -> str:
    name = enum_class.__name__
    return name[:1].lower() + name[1:]


@cache
def _factories() -> dict[str, Any]:
    """Graph models by the name this sandbox uses (imported lazily: the SDK's package is large)."""
    from msgraph.generated.models.event import Event
    from msgraph.generated.models.outlook_category import OutlookCategory
    from msgraph.generated.models.subscription import Subscription

    return {"event": Event, "subscription": Subscription, "outlookCategory": OutlookCategory}


def available() -> bool:
    """Whether Microsoft's SDK models are installed (dev extras); without them only JSON shape is checked."""
    try:
        import msgraph  # noqa: F401
    except ImportError:
        return False
    return True


def validate(kind: str, body: Any) -> dict[str, Any]:
    """Validate a request body against the Graph model ``kind``; returns it (a dict) or raises 400.

    An installed Rentcal (`pip install rentcal`, no dev extras) runs the demo sandbox without the SDK: bodies
    are then only checked to be JSON objects, like the Google sandbox without its discovery document."""
    if not isinstance(body, dict):
        raise body_read("The request body must be a JSON object.")
    if not available():
        return body
    try:
        _Node(body, "").get_object_value(_factories()[kind])
    except GraphError:
        raise
    except (TypeError, AttributeError, ValueError) as exc:  # a reader the SDK added that we do not emulate
        raise body_read(f"The request body could not be read: {exc}") from exc
    return body


def warm_up() -> None:
    """Import the models up front so the first request is not slow."""
    if not available():
        return
    for factory in _factories().values():
        model = factory()
        _fields(type(model), model)
