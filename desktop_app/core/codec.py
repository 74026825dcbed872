"""Typed JSON on msgspec: values come back as the class they left as.

Two forms:

* the **typed** form (``dumps``/``loads``) stores a type name beside every
  non-primitive value, so a ``Task`` comes back a ``Task``, a ``Priority`` the
  very same enum member, a ``date`` a ``date``, a tuple a tuple and a frozenset
  a frozenset; an unknown type name is a ``CodecError`` naming it. Homogeneous
  containers of one registered type are stored once-tagged and decoded in one
  msgspec pass, which keeps the form as fast as plain msgspec.
* the **info** form (``to_info``) is plain, compact JSON for display and export:
  enums by name, dates as ISO strings, no type names.

Canonical bytes: keys and sets are sorted, so equal values encode identically
(the replicas' byte-for-byte comparison relies on it).
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from functools import cache
from typing import Any

import immutables
import msgspec

from desktop_app.core import actions as _actions
from desktop_app.core.actions import Action
from desktop_app.core.model import Note, Priority, State, StateDoc, Task, TaskList, Tombstone


class CodecError(ValueError):
    """Bytes that are not a value this version of the app knows how to read."""


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, immutables.Map):
        return dict(obj)
    if isinstance(obj, State):
        return StateDoc.of(obj)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook, order="sorted")

_TYPES: dict[str, type] = {}
_NAMES: dict[type, str] = {}


def register(cls: type, name: str | None = None) -> type:
    """Make ``cls`` (a msgspec Struct or an Enum) known to the typed form."""
    key = name or cls.__name__
    if _TYPES.get(key, cls) is not cls:
        raise ValueError(f"type name {key!r} already registered for {_TYPES[key]!r}")
    _TYPES[key] = cls
    _NAMES[cls] = key
    return cls


for _cls in (Task, Note, TaskList, Tombstone, StateDoc, Priority, Action):
    register(_cls)
for _cls in _actions.AnyArg.__args__:  # every action argument
    register(_cls)

_PRIMITIVES = (str, int, float, bool, type(None))


@cache
def _decoder(tp: Any) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(tp)


class _Envelope(msgspec.Struct):
    type: str
    value: msgspec.Raw
    of: str | None = None


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])
_raw_dict = msgspec.json.Decoder(dict[str, msgspec.Raw])


def _wrap(value: Any) -> Any:
    """The typed tree of ``value`` as builtins ready for msgspec (no Raw)."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, State):
        return {"type": "State", "value": StateDoc.of(value)}
    cls = type(value)
    if cls in _NAMES:
        return {"type": _NAMES[cls], "value": value}
    if isinstance(value, datetime):
        return {"type": "datetime", "value": value}
    if isinstance(value, date):
        return {"type": "date", "value": value}
    if isinstance(value, tuple | list | frozenset | set):
        kind = {tuple: "tuple", list: "list"}.get(cls, "frozenset")
        # Sort by the typed bytes: Priority.LOW and "low" encode alike untyped, and a
        # tie would leave the order to the set's hash layout (not canonical).
        items = sorted(value, key=_sort_key) if kind == "frozenset" else list(value)
        kinds = {type(v) for v in items}
        if len(kinds) == 1 and (only := kinds.pop()) in _NAMES:
            return {"type": kind, "of": _NAMES[only], "value": items}
        return {"type": kind, "value": [_wrap(v) for v in items]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise CodecError("only dicts with string keys can be stored")
        return {"type": "dict", "value": {k: _wrap(v) for k, v in value.items()}}
    if isinstance(value, enum.Enum):
        raise CodecError(f"enum {cls.__name__} is not registered with the codec")
    raise CodecError(f"type {cls.__name__} is not registered with the codec")


def _sort_key(value: Any) -> bytes:
    return _encoder.encode(_wrap(value))


def dumps(value: Any) -> bytes:
    """Typed, canonical JSON bytes of ``value``."""
    return _encoder.encode(_wrap(value))


def loads(data: bytes | str) -> Any:
    """The value ``dumps`` was given; ``CodecError`` for unknown or malformed input."""
    try:
        return _unwrap(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # bad UTF-8 inside a string
        raise CodecError(f"malformed data: {exc}") from None
    except RecursionError:
        raise CodecError("malformed data: nested too deeply") from None


_CONTAINERS = {"tuple": tuple, "list": list, "frozenset": frozenset}
_TYPED_CONTAINERS: dict[str, Any] = {
    "tuple": lambda tp: tuple[tp, ...],
    "list": lambda tp: list[tp],
    "frozenset": lambda tp: frozenset[tp],
}

# What ``dumps`` writes for a once-tagged container (keys sorted: of, type, value).
_ONCE_TAGGED = re.compile(
    rb'\{"of":"([A-Za-z_][A-Za-z0-9_]*)","type":"(tuple|list|frozenset)","value":'
)


def _once_tagged(text: bytes) -> Any:
    """Decode a once-tagged container in one typed pass, skipping the envelope scan.

    The envelope decoder would walk the whole value once more just to find where
    it ends; the value is everything between the header and the final brace.
    Returns ``_MISS`` when the bytes are not in exactly that shape.
    """
    head = _ONCE_TAGGED.match(text)
    if head is None or not text.endswith(b"}"):
        return _MISS
    tp = _TYPED_CONTAINERS[head[2].decode()](_lookup(head[1].decode()))
    try:
        return _decoder(tp).decode(memoryview(text)[head.end() : -1])
    except (
        msgspec.DecodeError,
        UnicodeDecodeError,
        TypeError,
    ):  # TypeError: a frozenset of unhashable structs
        return _MISS  # let the general path report it


_MISS = object()


def _unwrap(raw: bytes | str | msgspec.Raw) -> Any:
    text = bytes(raw) if isinstance(raw, msgspec.Raw) else raw
    if isinstance(text, bytes) and (value := _once_tagged(text)) is not _MISS:
        return value
    stripped = text.lstrip()
    if not stripped.startswith(b"{" if isinstance(stripped, bytes) else "{"):
        value = _decoder(Any).decode(text)
        if not isinstance(value, _PRIMITIVES):
            raise CodecError("untyped container in typed data")
        return value
    env = _envelope_decoder.decode(text)
    if env.type in _CONTAINERS:
        container = _CONTAINERS[env.type]
        if env.of is not None:
            items = _decoder(list[_lookup(env.of)]).decode(env.value)
        else:
            items = [_unwrap(v) for v in _raw_list.decode(env.value)]
        try:
            return container(items)
        except TypeError:  # a frozenset tag around lists or dicts: never written by dumps
            raise CodecError(f"malformed data: unhashable item in a {env.type}") from None
    if env.type == "dict":
        return {k: _unwrap(v) for k, v in _raw_dict.decode(env.value).items()}
    if env.type == "State":
        return _decoder(StateDoc).decode(env.value).to_state()
    tp = {"date": date, "datetime": datetime}.get(env.type) or _lookup(env.type)
    return _decoder(tp).decode(env.value)


def _lookup(name: str) -> type:
    try:
        return _TYPES[name]
    except KeyError:
        raise CodecError(f"unknown type {name!r}: written by a newer version?") from None


# -- fast typed paths for the hot formats -----------------------------------------


def encode(value: Any) -> bytes:
    """Canonical JSON of a value whose type the reader will know (actions, state docs)."""
    return _encoder.encode(value)


def decode(data: bytes | str, tp: Any) -> Any:
    """Decode bytes written by ``encode`` as ``tp``; ``CodecError`` on anything else."""
    try:
        return _decoder(tp).decode(data)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if "Invalid value" in message and "action" in message:
            raise CodecError(f"unknown action type: {message}") from None
        raise CodecError(f"invalid {getattr(tp, '__name__', tp)}: {message}") from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # msgspec raises the latter
        raise CodecError(f"malformed data: {exc}") from None  # for bad UTF-8 in a string
    except RecursionError:  # a hostile or corrupt file, not a batch anyone wrote
        raise CodecError("malformed data: nested too deeply") from None


def encode_action(action: Action) -> bytes:
    return _encoder.encode(action)


def decode_action(data: bytes | str) -> Action:
    return decode(data, Action)


def encode_state(state: State) -> bytes:
    return _encoder.encode(StateDoc.of(state))


def decode_state(data: bytes | str) -> State:
    doc: StateDoc = decode(data, StateDoc)
    return doc.to_state()


# -- info form ----------------------------------------------------------------


def _info_hook(obj: Any) -> Any:
    if isinstance(obj, enum.Enum):
        return obj.name.lower()
    return _enc_hook(obj)


def to_info(value: Any) -> Any:
    """Plain builtins for display and export: no type names, enums by name."""
    return msgspec.to_builtins(value, enc_hook=_info_hook, order="sorted")
