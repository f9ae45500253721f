"""A clock that stands still until a test moves it: the `clock` fixture (tests/conftest.py)
puts it in place of the app's readings of time, so a test of an expiry moves time
forward instead of sleeping through it."""

import time
from datetime import datetime, timedelta

from reedsailing.core.timeutil import BEIJING


class Clock:
    """Wall-clock Beijing time, seconds since the epoch and a monotonic reading that all
    start at the real time of creation and move together, only through `advance()`."""

    def __init__(self):
        self._epoch = time.time()
        self._monotonic = time.monotonic()
        self._offset = 0.0

    def advance(self, seconds=0.0, **delta):
        """Move time forward: `advance(3.5)`, `advance(hours=2)`, `advance(days=7)`."""
        step = timedelta(seconds=seconds, **delta).total_seconds()
        if step < 0:
            raise ValueError("the clock only moves forward")
        self._offset += step

    def precise_now(self):
        """As reedsailing.core.timeutil.precise_now(): naive Beijing time, microseconds."""
        return datetime.fromtimestamp(self.time(), BEIJING).replace(tzinfo=None)

    # what reedsailing/security/auth.py reads through its `time` module
    def time(self):
        return self._epoch + self._offset

    def monotonic(self):
        return self._monotonic + self._offset
