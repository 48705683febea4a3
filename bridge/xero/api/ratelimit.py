"""Our own per-organisation call budget, and the count of calls made to Xero.

Xero allows 60 calls a minute per organisation (XERO_API_NOTES.md §5). The budget keeps
the client under XERO_CALLS_PER_MINUTE by itself: before each call it waits until the
last minute holds fewer calls than that. It is process-local: with several worker
processes each gets the full budget, so Xero's 429 + Retry-After handling in the client
remains the backstop (a shared budget would need the database or Redis).
"""
import threading
import time
from collections import Counter, defaultdict, deque
from typing import Callable


class CallBudget:
    """A sliding window of call times per organisation."""

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.clock = clock
        self._calls: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def acquire(self, tenant_id: str, limit: int, sleep: Callable[[float], None]) -> float:
        """Take one call from tenant_id's budget, sleeping while the window is full.

        Returns the seconds waited.
        """
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                calls = self._calls[tenant_id]
                while calls and now - calls[0] >= self.window:
                    calls.popleft()
                if len(calls) < max(limit, 1):
                    calls.append(now)
                    return waited
                wait = self.window - (now - calls[0])
            # Sleep outside the lock so other organisations are not held up.
            sleep(wait)
            waited += wait

    def in_window(self, tenant_id: str) -> int:
        """How many calls tenant_id made in the current window."""
        with self._lock:
            now = self.clock()
            return sum(1 for t in self._calls[tenant_id] if now - t < self.window)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()


class CallCounter:
    """Calls made, by (tenant_id, operation); tenant_id is None for identity calls."""

    def __init__(self):
        self._counts: Counter = Counter()
        self._lock = threading.Lock()

    def add(self, key: tuple[str | None, str], n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def snapshot(self) -> dict[tuple[str | None, str], int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


# Process-wide: every XeroClient in this process shares them.
SHARED_BUDGET = CallBudget()
CALLS = CallCounter()


def call_counts() -> dict[tuple[str | None, str], int]:
    """Calls made by this process since start (or the last reset), for benchmarks and health."""
    return CALLS.snapshot()


def reset_call_counts() -> None:
    CALLS.reset()
