"""Long note bodies in the journal and on the undo stack, stored as small changes.

Only the local rows change; actions decode back whole, so what sync sends is
the same ``set_note_body`` as ever.

* Journal: a ``set_note_body`` keeps its new ``body``; its ``base`` (the text
  the edit started from) is stored as a ``TextDelta`` from that body.
* Undo and redo: an inverse ``set_note_body`` is (body=the text to go back to,
  base=the text the note held just after the edit). Neither is kept whole: the
  note holds the base when the user undoes, so the row keeps the change from it,
  the base's digest and a little context; ``resolve_inverse`` rebuilds the
  inverse from the note's current body. If the note changed since (a sync), the
  changed region is found again by its context; failing that, the undo is a
  no-op that says so, rather than a guess.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from desktop_app.core.actions import Action, Arg, Batch, NoteBody
from desktop_app.core.text_delta import TextDelta, text_delta, text_digest

LARGE = 4096  # characters of body + base below which a row keeps both whole
CONTEXT = 32  # characters kept on either side of an undo's region, to find it again


class _Base(msgspec.Struct, frozen=True, array_like=True):
    step: int
    delta: TextDelta  # body -> base


class _Inverse(msgspec.Struct, frozen=True, array_like=True):
    step: int
    delta: TextDelta  # base (the text after the edit) -> body (the text to restore)
    digest: str  # of the base
    before: str
    middle: str  # the base's changed region, between ``before`` and ``after``
    after: str


_bases = msgspec.json.Decoder(list[_Base])
_inverses = msgspec.json.Decoder(list[_Inverse])
_encoder = msgspec.json.Encoder()

NoteBodyOf = Callable[[str], str | None]


def _steps(arg: Arg) -> tuple[Arg, ...]:
    return arg.steps if isinstance(arg, Batch) else (arg,)


def _with_steps(arg: Arg, steps: list[Arg]) -> Arg:
    return msgspec.structs.replace(arg, steps=tuple(steps)) if isinstance(arg, Batch) else steps[0]


def _large(step: Arg) -> bool:
    return (
        isinstance(step, NoteBody)
        and step.base is not None
        and len(step.body) + len(step.base) > LARGE
    )


def strip_action(action: Action) -> tuple[Action, bytes | None]:
    """``action`` without the long bases of its body edits, and what rebuilds them."""
    steps = list(_steps(action.arg))
    kept: list[_Base] = []
    for i, step in enumerate(steps):
        if _large(step):
            assert isinstance(step, NoteBody) and step.base is not None
            kept.append(_Base(i, text_delta(step.body, step.base)))
            steps[i] = msgspec.structs.replace(step, base=None)
    if not kept:
        return action, None
    arg = _with_steps(action.arg, steps)
    return msgspec.structs.replace(action, arg=arg), _encoder.encode(kept)


def restore_action(action: Action, blob: bytes | None) -> Action:
    if blob is None:
        return action
    steps = list(_steps(action.arg))
    for kept in _bases.decode(blob):
        step = steps[kept.step]
        assert isinstance(step, NoteBody)
        steps[kept.step] = msgspec.structs.replace(step, base=kept.delta.apply(step.body))
    return msgspec.structs.replace(action, arg=_with_steps(action.arg, steps))


def strip_inverse(inverse: Arg) -> tuple[Arg, bytes | None]:
    """An undo/redo entry without its long texts, and what rebuilds it from the note."""
    steps = list(_steps(inverse))
    kept: list[_Inverse] = []
    for i, step in enumerate(steps):
        if _large(step):
            assert isinstance(step, NoteBody) and step.base is not None
            base = step.base
            delta = text_delta(base, step.body)
            stop = len(base) - delta.end
            kept.append(
                _Inverse(
                    step=i,
                    delta=delta,
                    digest=text_digest(base),
                    before=base[max(0, delta.start - CONTEXT) : delta.start],
                    middle=base[delta.start : stop],
                    after=base[stop : stop + CONTEXT],
                )
            )
            steps[i] = NoteBody(id=step.id, body="", base=None)
    if not kept:
        return inverse, None
    return _with_steps(inverse, steps), _encoder.encode(kept)


def resolve_inverse(inverse: Arg, blob: bytes | None, body_of: NoteBodyOf) -> tuple[Arg, bool]:
    """The whole inverse, from the bodies the notes hold now; False if one could not be
    rebuilt (that step then leaves its note alone)."""
    if blob is None:
        return inverse, True
    steps = list(_steps(inverse))
    complete = True
    for kept in _inverses.decode(blob):
        step = steps[kept.step]
        assert isinstance(step, NoteBody)
        current = body_of(step.id)
        target = None if current is None else _rebuild(kept, current)
        if target is None:
            complete = False
            target = current or ""
        steps[kept.step] = NoteBody(id=step.id, body=target, base=current)
    return _with_steps(inverse, steps), complete


def _rebuild(kept: _Inverse, current: str) -> str | None:
    """The text to go back to, as a change of ``current``."""
    if text_digest(current) == kept.digest:
        return kept.delta.apply(current)
    # The note changed since: find the edited region by its context, if it is unique.
    anchor = kept.before + kept.middle + kept.after
    at = current.find(anchor)
    if at < 0 or (anchor and current.find(anchor, at + 1) >= 0) or not anchor:
        return None
    start = at + len(kept.before)
    stop = start + len(kept.middle)
    return current[:start] + kept.delta.middle + current[stop:]
