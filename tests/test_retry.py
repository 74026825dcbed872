"""The window's retry schedule after failed rounds (issue 9)."""

from __future__ import annotations

from desktop_app.app.retry import RetryBackoff, describe_wait


def test_delays_double_from_the_base_up_to_the_cap() -> None:
    backoff = RetryBackoff(base_s=5, cap_s=300, jitter=0.0)
    assert [backoff.failed() for _ in range(9)] == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    backoff.succeeded()
    assert backoff.failed() == 5


def test_jitter_spreads_each_delay_around_its_nominal_value() -> None:
    low = RetryBackoff(base_s=10, cap_s=300, jitter=0.2, rng=lambda: 0.0)
    high = RetryBackoff(base_s=10, cap_s=300, jitter=0.2, rng=lambda: 0.999999)
    assert low.failed() == 8.0
    assert 11.99 < high.failed() <= 12.0
    for _ in range(20):
        assert high.failed() <= 300  # never past the cap, however long it fails


def test_many_failures_do_not_overflow() -> None:
    backoff = RetryBackoff(jitter=0.0)
    for _ in range(5000):
        delay = backoff.failed()
    assert delay == 300


def test_waits_read_plainly() -> None:
    assert describe_wait(0.2) == "1 s"
    assert describe_wait(20.4) == "20 s"
    assert describe_wait(300) == "5 min"
