"""The typed codec: what leaves as a type comes back as that type, in canonical bytes.

Checkpoints, the journal and sync all trust these round trips, and replicas
compare state byte for byte (invariant 2), so equal values must encode alike.
"""

from __future__ import annotations

import contextlib
import enum
from datetime import UTC, date, datetime
from typing import Any

import immutables
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core import codec
from desktop_app.core.actions import Action, AnyArg, Arg, Batch, NewTask, TaskTitle
from desktop_app.core.codec import CodecError
from desktop_app.core.model import Note, Priority, State, StateDoc, Task, TaskList
from tests import strategies as s

ARG_TYPES: tuple[type[Arg], ...] = AnyArg.__args__
WHEN = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


def assert_same(a: Any, b: Any, where: str = "value") -> None:
    """Equal, and of the very same types all the way down (date is not datetime)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} came back as {type(b).__name__}"
    if isinstance(a, enum.Enum):
        assert a is b, f"{where}: enum member is not the same object"
    elif isinstance(a, datetime):
        assert a == b and a.utcoffset() == b.utcoffset(), where
        assert (a.tzinfo is None) == (b.tzinfo is None), where
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), where
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{n}]")
    elif isinstance(a, frozenset):
        assert a == b, where
        by_bytes = {codec.dumps(y): y for y in b}
        for x in a:
            assert_same(x, by_bytes[codec.dumps(x)], f"{where}{{{x!r}}}")
    elif isinstance(a, dict | immutables.Map):
        assert set(a.keys()) == set(b.keys()), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, msgspec.Struct):
        for field in a.__struct_fields__:
            assert_same(getattr(a, field), getattr(b, field), f"{where}.{field}")
    else:
        assert a == b, where


def round_trip(value: Any) -> Any:
    back = codec.loads(codec.dumps(value))
    assert back == value
    assert_same(value, back)
    return back


# -- round trips ----------------------------------------------------------------


@settings(max_examples=300)
@given(s.values())
def test_any_nested_value_round_trips_with_its_types(value: Any) -> None:
    round_trip(value)


@pytest.mark.parametrize("arg_type", ARG_TYPES, ids=lambda t: t.__name__)
def test_every_argument_type_has_a_strategy(arg_type: type[Arg]) -> None:
    """A new action whose argument nobody generates would escape every property test."""
    assert arg_type is Batch or arg_type in s.arg_strategies()


@pytest.mark.parametrize("arg_type", ARG_TYPES, ids=lambda t: t.__name__)
@settings(max_examples=25)
@given(data=st.data())
def test_every_argument_type_round_trips(arg_type: type[Arg], data: st.DataObject) -> None:
    strategies = s.arg_strategies()
    strategy = strategies[arg_type] if arg_type in strategies else s.batches(s.any_args())
    arg = data.draw(strategy)
    assert type(round_trip(arg)) is arg_type
    assert_same(arg, codec.decode(codec.encode(arg), AnyArg))
    action = Action(id="a1", device="d1", at=1_700_000_000_000, arg=arg)
    assert_same(action, round_trip(action))
    assert_same(action, codec.decode_action(codec.encode_action(action)))


@settings(deadline=None)  # a state doc can take a while on a loaded machine; size, not time
@given(st.one_of(s.tasks(), s.notes(), s.task_lists(), s.priorities(), s.state_docs()))
def test_every_domain_type_round_trips(value: Any) -> None:
    round_trip(value)
    round_trip((value, value))
    round_trip([value])
    round_trip({"v": value})


@settings(max_examples=100)
@given(s.actions())
def test_action_fast_path_round_trips(action: Action) -> None:
    back = codec.decode_action(codec.encode_action(action))
    assert_same(action, back)
    assert back.name == action.name


@settings(max_examples=100)
@given(s.states())
def test_state_round_trips_both_ways(state: State) -> None:
    back = codec.decode_state(codec.encode_state(state))
    assert back == state
    assert_same(state, back)
    assert_same(state, round_trip(state))


def test_enum_members_come_back_by_identity() -> None:
    for member in Priority:
        assert codec.loads(codec.dumps(member)) is member
    task = round_trip(Task(id="t", title="x", priority=Priority.HIGH, created=WHEN, updated=WHEN))
    assert task.priority is Priority.HIGH


def test_date_and_datetime_stay_apart() -> None:
    day = date(2024, 5, 17)
    midnight = datetime(2024, 5, 17, tzinfo=UTC)
    assert type(codec.loads(codec.dumps(day))) is date
    back = codec.loads(codec.dumps(midnight))
    assert type(back) is datetime and back.tzinfo is not None and back.utcoffset().seconds == 0
    task = round_trip(Task(id="t", title="x", due=day, created=midnight, updated=midnight))
    assert type(task.due) is date and type(task.created) is datetime
    mixed = round_trip((day, midnight, frozenset({day, midnight})))
    assert [type(v) for v in mixed[:2]] == [date, datetime]


def test_containers_keep_their_kind() -> None:
    value = ((1, (2,)), [3, [4]], frozenset({(5, 6)}), {"k": (frozenset({"a"}),)}, ())
    back = round_trip(value)
    assert type(back[0][1]) is tuple and type(back[1][1]) is list
    assert type(back[2]) is frozenset and type(back[3]["k"][0]) is frozenset
    tags = round_trip(
        Note(id="n", title="t", tags=frozenset({"b", "a"}), created=WHEN, updated=WHEN)
    )
    assert type(tags.tags) is frozenset and type(tags.conflicts) is tuple


def test_homogeneous_containers_of_each_registered_type_round_trip() -> None:
    """The once-tagged fast form must restore the element type too."""
    task = Task(id="t", title="x", created=WHEN, updated=WHEN)
    for container in (tuple, list, frozenset):
        for element in (task, Priority.LOW, NewTask(id="t", title="x", created=WHEN)):
            back = round_trip(container([element]))
            assert type(back) is container


# -- canonical bytes -----------------------------------------------------------------


@given(st.lists(s.hashable_leaves(), unique=True, max_size=8), st.randoms())
def test_frozensets_built_in_any_order_encode_identically(elements: list[Any], rnd: Any) -> None:
    shuffled = list(elements)
    rnd.shuffle(shuffled)
    assert codec.dumps(frozenset(elements)) == codec.dumps(frozenset(shuffled))
    assert codec.dumps({"b": 1, "a": frozenset(elements)}) == codec.dumps(
        {"a": frozenset(shuffled), "b": 1}
    )


def test_set_members_that_encode_alike_untyped_still_sort_canonically() -> None:
    """Priority.LOW and "low" (or a date and its ISO string) tie on untyped bytes.

    Find two insertion orders that iterate differently, then demand equal bytes.
    """
    candidates = [(Priority.LOW, "low"), (Priority.HIGH, "high")]
    days = [date.fromordinal(date(2020, 1, 1).toordinal() + n) for n in range(366)]
    candidates += [(day, day.isoformat()) for day in days]
    differing = [
        (a, b) for a, b in candidates if list(frozenset([a, b])) != list(frozenset([b, a]))
    ]
    for a, b in differing or candidates:
        assert codec.dumps(frozenset([a, b])) == codec.dumps(frozenset([b, a]))
        assert codec.loads(codec.dumps(frozenset([a, b]))) == frozenset([a, b])


@given(s.states(), st.randoms())
def test_equal_states_encode_identically(state: State, rnd: Any) -> None:
    def rebuilt(mapping: immutables.Map) -> immutables.Map:
        pairs = list(mapping.items())
        rnd.shuffle(pairs)
        return immutables.Map(pairs)

    other = State(
        lists=rebuilt(state.lists),
        tasks=rebuilt(state.tasks),
        notes=rebuilt(state.notes),
        deleted=rebuilt(state.deleted),
    )
    assert other == state
    assert codec.encode_state(other) == codec.encode_state(state)
    assert codec.dumps(other) == codec.dumps(state)
    assert codec.encode(StateDoc.of(other)) == codec.encode_state(state)


@given(s.tasks(), st.randoms())
def test_equal_tag_sets_encode_identically(task: Task, rnd: Any) -> None:
    tags = list(task.tags)
    rnd.shuffle(tags)
    again = msgspec.structs.replace(task, tags=frozenset(tags))
    assert codec.dumps(again) == codec.dumps(task)
    assert codec.encode(again) == codec.encode(task)


# -- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b'{"type":"Gadget","value":{}}',
        b'{"type":"tuple","of":"Gadget","value":[]}',
        b'{"type":"tuple","value":[1,{"type":"Gadget","value":2}]}',
        b'{"type":"dict","value":{"k":{"type":"Gadget","value":2}}}',
    ],
)
def test_unknown_type_name_is_a_codec_error_naming_it(data: bytes) -> None:
    with pytest.raises(CodecError, match="Gadget"):
        codec.loads(data)


def _unknown_action_bytes() -> bytes:
    action = Action(id="a", device="d", at=1, arg=TaskTitle(id="t", title="x"))
    return codec.encode_action(action).replace(b'"set_task_title"', b'"teleport_task"')


def test_unknown_action_name_is_a_codec_error() -> None:
    data = _unknown_action_bytes()
    with pytest.raises(CodecError, match="teleport_task"):
        codec.decode_action(data)
    with pytest.raises(CodecError):
        codec.loads(b'{"type":"Action","value":' + data + b"}")
    nested = Action(id="a", device="d", at=1, arg=Batch(steps=(TaskTitle(id="t", title="x"),)))
    with pytest.raises(CodecError, match="teleport_task"):
        codec.decode_action(
            codec.encode_action(nested).replace(b"set_task_title", b"teleport_task")
        )


@pytest.mark.parametrize(
    "data", [b"", b"{", b"\xff\xfe", b"[1, 2]", b"null", b'{"tasks": {"t": 1}}']
)
def test_malformed_bytes_are_codec_errors(data: bytes) -> None:
    with pytest.raises(CodecError):
        codec.loads(data if data != b"null" else b"[null]")
    with pytest.raises(CodecError):
        codec.decode_action(data)
    with pytest.raises(CodecError):
        codec.decode_state(data)


@pytest.mark.parametrize(
    "data", [b'{"value": 1}', b'{"type": "tuple", "value": {}}', b'{"type": "dict", "value": []}']
)
def test_malformed_envelopes_are_codec_errors(data: bytes) -> None:
    with pytest.raises(CodecError):
        codec.loads(data)


def _cut(data: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(0, len(data)).map(lambda n: data[:n])


def _truncated() -> st.SearchStrategy[bytes]:
    """Prefixes of real encodings: what a torn write or a cut download leaves."""
    encodings = s.values().map(codec.dumps) | s.actions().map(codec.encode_action)
    return encodings.flatmap(_cut)


@settings(max_examples=200)
@given(st.binary(max_size=64) | _truncated())
def test_garbage_never_raises_anything_but_codec_error(data: bytes) -> None:
    for decode in (codec.loads, codec.decode_action, codec.decode_state):
        with contextlib.suppress(CodecError):
            decode(data)


def test_unregistered_types_are_refused_by_name() -> None:
    class Colour(enum.Enum):
        RED = 1

    class Gizmo:
        pass

    with pytest.raises(CodecError, match="Colour"):
        codec.dumps(Colour.RED)
    with pytest.raises(CodecError, match="Gizmo"):
        codec.dumps((1, Gizmo()))
    with pytest.raises(CodecError):
        codec.dumps({1: "int keys"})


# -- the info form ----------------------------------------------------------------------


def assert_plain(value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) is str
            assert_plain(v)
    elif isinstance(value, list | tuple):  # both are JSON arrays
        for v in value:
            assert_plain(v)
    else:
        assert value is None or type(value) in (str, int, float, bool), type(value)


@given(st.one_of(s.tasks(), s.notes(), s.task_lists(), s.states(), s.actions(), s.priorities()))
def test_info_form_is_plain_builtins(value: Any) -> None:
    info = codec.to_info(value)
    assert_plain(info)
    msgspec.json.encode(info)


def test_info_form_names_enums_in_lowercase_and_dates_in_iso() -> None:
    task = Task(
        id="t",
        title="x",
        due=date(2024, 6, 1),
        priority=Priority.HIGH,
        tags=frozenset({"b", "a"}),
        created=WHEN,
        updated=WHEN,
    )
    info = codec.to_info(task)
    assert info["priority"] == "high"
    assert info["due"] == "2024-06-01"
    assert info["created"].startswith("2024-05-17T09:30:15.123456")
    assert info["tags"] == ["a", "b"]
    assert codec.to_info(Priority.LOW) == "low"
    assert codec.to_info(State(tasks=immutables.Map({"t": task})))["tasks"]["t"] == info
    lst = codec.to_info(TaskList(id="l", name="Home", created=WHEN))
    assert lst == {"id": "l", "name": "Home", "created": info["created"]}


@pytest.mark.parametrize("container", [tuple, list, frozenset])
def test_once_tagged_containers_decode_the_same_by_either_path(container: type) -> None:
    """``loads`` has a one-pass path for what ``dumps`` writes; padding takes the other."""
    tasks = container(Task(id=f"t{n}", title="x", created=WHEN, updated=WHEN) for n in range(3))
    data = codec.dumps(tasks)
    assert data.startswith(b'{"of":"Task"')
    for variant in (data, b" " + data, data + b"\n"):
        assert_same(tasks, codec.loads(variant))
    with pytest.raises(CodecError):
        codec.loads(data[:-1] + b"]}")
    with pytest.raises(CodecError, match="Gizmo"):
        codec.loads(data.replace(b'"of":"Task"', b'"of":"Gizmo"'))


def test_absurdly_deep_nesting_is_a_codec_error_not_a_crash() -> None:
    """A corrupt or hostile update must not take the sync thread down with RecursionError."""
    depth = 5000
    nested = b'{"action":"batch","steps":[' * depth + b"]}" * depth
    action = b'{"arg":' + nested + b',"at":1,"device":"d","id":"a"}'
    with pytest.raises(CodecError, match="deep"):
        codec.decode_action(action)
    with pytest.raises(CodecError, match="deep"):
        codec.loads(b'{"type":"tuple","value":[' * depth + b"]}" * depth)
