"""How long old updates are kept after a roll-up, read from a flag or an environment variable.

One validation for the CLI's ``--retention-days`` and the Lambda's
``TIDEMARK_RETENTION_DAYS``: a negative, infinite or NaN number of days would
prune updates an offline device still needs (or fail deep inside ``timedelta``).
"""

from __future__ import annotations

import math
from datetime import timedelta

MAX_RETENTION_DAYS = 36500  # a century; timedelta itself stops at 999,999,999 days


def retention_days(value: str | float, source: str = "--retention-days") -> timedelta:
    """``value`` days as a timedelta; ValueError with one plain sentence if it is not usable."""
    try:
        days = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{source} must be a number of days, not {value!r}") from None
    if math.isnan(days) or not 0 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(f"{source} must be between 0 and {MAX_RETENTION_DAYS} days, not {value!r}")
    return timedelta(days=days)
