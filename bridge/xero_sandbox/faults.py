"""Rate limits per organisation, and faults injected by tests (429, 5xx, timeouts).

Both live here so a test can reason about "what happens before a request is served"
in one place. State is per app and in memory: the sandbox runs as one process.
"""
import math
import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field

from flask import Flask, Response, current_app, g, request

from bridge.xero_sandbox import clock, wire

_KEY = "xero_sandbox.faults"
MINUTE = 60.0
DAY = 86400.0
# Paths the injector never touches: the sandbox's own test and demo surfaces.
_EXEMPT = ("/_sandbox", "/_ui", "/ui", "/static")


@dataclass
class Fault:
    """One injected fault rule: the next `count` matching calls fail this way."""

    kind: str  # "429" | "500" | "503" | "timeout" | "late"
    count: int
    method: str | None = None
    path_prefix: str | None = None
    seconds: float = 0.0
    then: str = "504"  # after a timeout: "504" or "hang"
    retry_after: int = 60
    problem: str = "minute"

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this rule targets."""
        if self.method and self.method.upper() != method.upper():
            return False
        return not self.path_prefix or path.lower().startswith(self.path_prefix.lower())

    def describe(self) -> dict:
        """The rule as JSON for the control API (every field, so a 429's headers show too)."""
        return asdict(self)


@dataclass
class RandomFaults:
    """A share of the matching calls fail, each drawn at random among `kinds` (load tests).

    "late" is the one fault after which Xero has done the work: the request is served, then
    its answer is held back `seconds` (past the client's timeout), as when a reply is lost.
    """

    rate: float
    kinds: tuple[str, ...] = ("429", "500", "timeout")
    path_prefix: str | None = None
    seconds: float = 0.0
    retry_after: int = 1
    drawn: dict = field(default_factory=dict)

    def draw(self, method: str, path: str) -> Fault | None:
        """A one-off fault for this call, or None (most calls)."""
        if self.path_prefix and not path.lower().startswith(self.path_prefix.lower()):
            return None
        if random.random() >= self.rate:
            return None
        kind = random.choice(self.kinds)
        self.drawn[kind] = self.drawn.get(kind, 0) + 1
        return Fault(kind=kind, count=1, seconds=self.seconds, retry_after=self.retry_after)

    def describe(self) -> dict:
        """The setting and how many of each kind were injected so far (control API)."""
        return {**asdict(self), "kinds": list(self.kinds)}


@dataclass
class _OrgWindow:
    """Call timestamps (sandbox clock) in the minute and day windows, and calls in flight."""

    minute: deque = field(default_factory=deque)
    day: deque = field(default_factory=deque)
    in_flight: int = 0


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.orgs: dict[str, _OrgWindow] = {}
        self.app_minute: deque = deque()
        self.faults: list[Fault] = []
        self.random: RandomFaults | None = None
        self.release = threading.Event()


def init_app(app: Flask) -> None:
    """Attach the limiter and injector, and run injected faults before every request."""
    app.extensions[_KEY] = _State()
    app.before_request(_inject)
    app.after_request(_hold_back_late)


def _state() -> _State:
    """This app's limiter and injector state."""
    return current_app.extensions[_KEY]


# ---- injected faults -------------------------------------------------------------------


def add_fault(fault: Fault) -> None:
    """Queue a fault rule; rules are consumed in the order they were added."""
    state = _state()
    with state.lock:
        state.release.clear()
        state.faults.append(fault)


def list_faults() -> list[dict]:
    """Pending fault rules."""
    state = _state()
    with state.lock:
        return [f.describe() for f in state.faults]


def clear_faults() -> None:
    """Drop pending rules and random faults, and let any hanging request finish."""
    state = _state()
    with state.lock:
        state.faults.clear()
        state.random = None
    state.release.set()


def set_random(setting: RandomFaults | None) -> None:
    """Make a share of calls fail at random from now on (None: stop)."""
    state = _state()
    with state.lock:
        state.random = setting


def random_setting() -> dict | None:
    """The random fault setting with its counts, or None."""
    state = _state()
    with state.lock:
        return state.random.describe() if state.random else None


def _take_fault(method: str, path: str) -> Fault | None:
    """The first pending rule matching this request, with one use consumed; else a random one."""
    state = _state()
    with state.lock:
        for fault in state.faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    state.faults.remove(fault)
                return fault
        if state.random is not None:
            return state.random.draw(method, path)
    return None


def _inject() -> Response | None:
    """before_request: answer with an injected fault if one matches this request."""
    if request.path.startswith(_EXEMPT):
        return None
    fault = _take_fault(request.method, request.path)
    if fault is None:
        return None
    current_app.logger.info("sandbox: injected %s for %s %s", fault.kind, request.method, request.path)
    if fault.kind == "429":
        response = wire.problem(429, "Too Many Requests", "Rate limit exceeded (injected by the sandbox)")
        response.headers["Retry-After"] = str(fault.retry_after)
        response.headers["X-Rate-Limit-Problem"] = fault.problem
        return response
    if fault.kind == "500":
        return wire.problem(500, "Internal Server Error", "An error occurred in Xero (injected by the sandbox)")
    if fault.kind == "503":
        return wire.problem(503, "Service Unavailable", "The service is unavailable (injected by the sandbox)")
    if fault.kind == "late":
        g.sandbox_late_seconds = fault.seconds
        return None  # served as usual; _hold_back_late delays the answer
    return _timeout(fault)


def _hold_back_late(response: Response) -> Response:
    """after_request: a "late" answer is sent only after its delay, outside the write lock.

    The body is a generator, so the sleep happens while the server sends the response,
    after the request's teardown has released the lock: other calls go on meanwhile.
    """
    seconds = g.pop("sandbox_late_seconds", None)
    if seconds is None or response.direct_passthrough:
        return response
    body = response.get_data()

    def late_body():
        time.sleep(seconds)
        yield body

    response.response = late_body()
    return response


def _timeout(fault: Fault) -> Response:
    """Sleep past the client's timeout (real time), then 504 or keep hanging until released."""
    time.sleep(fault.seconds)
    if fault.then == "hang":
        # Bounded: a hang ends when the control API clears faults or after the configured cap.
        _state().release.wait(current_app.config["SANDBOX_HANG_MAX_SECONDS"])
    return wire.problem(504, "Gateway Timeout", "The request timed out (injected by the sandbox)")


# ---- rate limits -----------------------------------------------------------------------


def _trim(window: deque, now: float, span: float) -> None:
    """Forget calls older than the window."""
    while window and window[0] <= now - span:
        window.popleft()


def _trimmed(state, org_id: str, now: float) -> "_OrgWindow":
    """The organisation's call windows without calls older than their window (lock held)."""
    org = state.orgs.setdefault(org_id, _OrgWindow())
    _trim(org.minute, now, MINUTE)
    _trim(org.day, now, DAY)
    _trim(state.app_minute, now, MINUTE)
    return org


def enter(org_id: str) -> Response | None:
    """Count a call for an organisation, or answer 429 if a limit is reached.

    Rejected calls are not counted (UNCONFIRMED whether Xero counts them). The day window is
    rolling 24 h (UNCONFIRMED: sources disagree on rolling vs fixed).
    """
    config = current_app.config
    state = _state()
    now = clock.now().timestamp()
    with state.lock:
        org = _trimmed(state, org_id, now)
        if len(org.day) >= config["SANDBOX_CALLS_PER_DAY"]:
            return _too_many("day", math.ceil(org.day[0] + DAY - now))
        if len(state.app_minute) >= config["SANDBOX_APP_CALLS_PER_MINUTE"]:
            # UNCONFIRMED header value for the app-wide limit.
            return _too_many("appminute", math.ceil(state.app_minute[0] + MINUTE - now))
        if len(org.minute) >= config["SANDBOX_CALLS_PER_MINUTE"]:
            return _too_many("minute", math.ceil(org.minute[0] + MINUTE - now))
        if org.in_flight >= config["SANDBOX_CONCURRENT_LIMIT"]:
            # UNCONFIRMED header value for the concurrency limit.
            return _too_many("concurrent", 1)
        org.minute.append(now)
        org.day.append(now)
        state.app_minute.append(now)
        org.in_flight += 1
    return None


def leave(org_id: str) -> None:
    """A counted call has finished."""
    state = _state()
    with state.lock:
        org = state.orgs.get(org_id)
        if org and org.in_flight > 0:
            org.in_flight -= 1


def _too_many(problem: str, retry_after: int) -> Response:
    """A 429 naming the limit that was hit."""
    response = wire.problem(429, "Too Many Requests", f"Rate limit exceeded: {problem}")
    response.headers["Retry-After"] = str(max(1, retry_after))
    response.headers["X-Rate-Limit-Problem"] = problem
    return response


def remaining_headers(org_id: str) -> dict:
    """The three X-*Limit-Remaining headers for an organisation, as of now."""
    config = current_app.config
    state = _state()
    now = clock.now().timestamp()
    with state.lock:
        org = _trimmed(state, org_id, now)
        return {
            "X-DayLimit-Remaining": str(max(0, config["SANDBOX_CALLS_PER_DAY"] - len(org.day))),
            "X-MinLimit-Remaining": str(max(0, config["SANDBOX_CALLS_PER_MINUTE"] - len(org.minute))),
            "X-AppMinLimit-Remaining": str(
                max(0, config["SANDBOX_APP_CALLS_PER_MINUTE"] - len(state.app_minute))
            ),
        }


def reset_limits(org_id: str | None = None) -> None:
    """Forget counted calls (one organisation, or all)."""
    state = _state()
    with state.lock:
        if org_id:
            state.orgs.pop(org_id, None)
        else:
            state.orgs.clear()
            state.app_minute.clear()
