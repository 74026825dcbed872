"""The sealed envelope and the key object decoders: round trips, and fuzzing in which
only the documented errors escape (``SealBroken``, ``KeyObjectUnreadable``,
``WrongPassphrase``)."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.sync import sealing
from desktop_app.sync.sealing import KeyObjectUnreadable, SealBroken, WrongPassphrase

VAULT_KEY = bytes(range(32))
CHEAP = {"n": 2**10, "r": 8, "p": 1}
KEY = sealing.key_object_key(1)
KEY_OBJECT = sealing.wrap_vault_key(VAULT_KEY, "pass phrase", KEY, **CHEAP)
ENVELOPE = sealing.seal(VAULT_KEY, "updates/000000000007", b'{"format":2,"actions":[]}')
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_envelope_round_trip_and_binding() -> None:
    assert sealing.open_sealed(VAULT_KEY, "updates/000000000007", ENVELOPE).startswith(b"{")
    for other in ("updates/000000000008", "snapshots/000000000007", "updates/7"):
        with pytest.raises(SealBroken):
            sealing.open_sealed(VAULT_KEY, other, ENVELOPE)
    with pytest.raises(SealBroken):
        sealing.open_sealed(bytes(32), "updates/000000000007", ENVELOPE)
    # A fresh nonce each time: sealing the same bytes twice gives different envelopes.
    again = sealing.seal(VAULT_KEY, "updates/000000000007", b'{"format":2,"actions":[]}')
    assert again != ENVELOPE


def test_key_object_round_trip() -> None:
    assert sealing.unwrap_vault_key(KEY, KEY_OBJECT, "pass phrase") == VAULT_KEY
    with pytest.raises(WrongPassphrase, match=r"^wrong passphrase for this vault$"):
        sealing.unwrap_vault_key(KEY, KEY_OBJECT, "pass phrasE")
    with pytest.raises(WrongPassphrase):  # moved to another key object's name
        sealing.unwrap_vault_key(sealing.key_object_key(2), KEY_OBJECT, "pass phrase")
    loose = msgspec.json.decode(KEY_OBJECT)
    loose["kdf"]["p"] = 2  # weaker or stronger parameters than were wrapped with
    with pytest.raises(WrongPassphrase):
        sealing.unwrap_vault_key(KEY, msgspec.json.encode(loose), "pass phrase")
    loose["kdf"]["n"] = 2**20
    loose["kdf"]["r"] = 32  # 4 GiB of scrypt: refused before deriving anything
    with pytest.raises(KeyObjectUnreadable, match="unusable scrypt parameters"):
        sealing.decode_key_object(KEY, msgspec.json.encode(loose))


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_as_an_envelope_are_sealbroken(data: bytes) -> None:
    with pytest.raises(SealBroken):
        sealing.open_sealed(VAULT_KEY, "updates/000000000007", data)


@FUZZ
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=7))
def test_every_flipped_bit_of_an_envelope_is_detected(index: int, bit: int) -> None:
    index %= len(ENVELOPE)
    flipped = ENVELOPE[:index] + bytes([ENVELOPE[index] ^ (1 << bit)]) + ENVELOPE[index + 1 :]
    with pytest.raises(SealBroken):
        sealing.open_sealed(VAULT_KEY, "updates/000000000007", flipped)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@FUZZ
@given(st.binary(max_size=300) | json_values.map(msgspec.json.encode))
def test_any_bytes_as_a_key_object_are_unreadable(data: bytes) -> None:
    try:
        sealing.unwrap_vault_key(KEY, data, "pass phrase")
    except (KeyObjectUnreadable, WrongPassphrase):
        return
    pytest.fail("an arbitrary key object opened")


@FUZZ
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_a_damaged_key_object_is_unreadable_or_a_wrong_passphrase(index: int, value: int) -> None:
    index %= len(KEY_OBJECT)
    damaged = KEY_OBJECT[:index] + bytes([value]) + KEY_OBJECT[index + 1 :]
    try:
        key = sealing.unwrap_vault_key(KEY, damaged, "pass phrase")
    except (KeyObjectUnreadable, WrongPassphrase):
        return
    assert key == VAULT_KEY  # a harmless change (e.g. the same byte written back)
