"""HTTP exchanges with Xero: retries, rate limits, call counts, and errors people can act on.

- urllib3's Retry repeats timeouts and 5xx, only where repeating cannot duplicate anything
  (GET/DELETE, or a write carrying an Idempotency-Key);
- a minute-limit 429 is slept on (Retry-After) a bounded number of times, a day-limit 429
  is raised; every call first takes one from our per-organisation budget;
- a 401/403 asks the credentials for newer tokens once;
- every attempt is counted per (tenant, operation), in Transport.calls and CALLS.
"""
import logging
import threading
import time
from collections import Counter
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Callable, Iterator, Mapping, Protocol

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ReadTimeoutError

from bridge.models import utcnow
from bridge.xero.api import wire
from bridge.xero.api.errors import (
    RECONNECT,
    XeroAuthorisationLost,
    XeroError,
    XeroNotFound,
    XeroRateLimited,
    XeroUnavailable,
    XeroValidationError,
)
from bridge.xero.api.adapter import XeroAdapter, XeroRetry, ca_bundle, prepared, proxies_for
from bridge.xero.api.ratelimit import CALLS, CallBudget

logger = logging.getLogger(__name__)

# urllib3 retries for timeouts and 5xx: no wait before the first, then 2 s, then 4 s.
RETRIES = 3
BACKOFF_FACTOR = 1.0
BACKOFF_MAX = 30
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# A 503's Retry-After is honoured up to this many seconds.
RETRY_AFTER_MAX = 60
# Minute-limit 429s slept on per call, and the longest Retry-After we sleep on.
RATE_LIMIT_WAITS = 3
RATE_LIMIT_MAX_WAIT = 120.0


class Credentials(Protocol):
    """Where a request's access token comes from, and where its outcome is noted."""

    def access_token(self) -> str: ...

    def renew_after_rejection(self, *, token_expired: bool) -> str | None: ...

    def note_success(self) -> None: ...

    def record_error(self, message: str) -> None: ...

    def mark_needs_reconnect(self, message: str) -> None: ...


class BearerToken:
    """An access token the caller holds (a token set just issued): nothing stored to update."""

    def __init__(self, value: str):
        self._value = value

    def access_token(self) -> str:
        return self._value

    def renew_after_rejection(self, *, token_expired: bool) -> None:
        return None

    def note_success(self) -> None:
        pass

    def record_error(self, message: str) -> None:
        pass

    def mark_needs_reconnect(self, message: str) -> None:
        pass


class Transport:
    """The HTTP side of one XeroClient: two adapters (retrying or not), counts, limits, errors."""

    def __init__(self, tenant_id: str | None, *, timeout: float, calls_per_minute: int,
                 sleep: Callable[[float], None], budget: CallBudget):
        self.tenant_id = tenant_id
        self.timeout = timeout
        self._calls_per_minute = calls_per_minute
        self._sleep = sleep
        self._budget = budget
        self.calls: Counter = Counter()
        self._calls_lock = threading.Lock()
        self._local = threading.local()
        self._adapters = {retrying: self._adapter(retrying=retrying) for retrying in (True, False)}

    def close(self) -> None:
        """Close both adapters' connection pools."""
        for adapter in self._adapters.values():
            adapter.close()

    def mount(self, session: requests.Session, *, retrying: bool) -> None:
        """Send another session's requests (Authlib's) through our retries and counts."""
        session.mount("https://", self._adapters[retrying])
        session.mount("http://", self._adapters[retrying])

    @property
    def last_op(self) -> str | None:
        """The operation this thread called last, to name it in errors."""
        return getattr(self._local, "last_op", None)

    def request(self, method: str, url: str, *, op: str, headers: dict, credentials: Credentials,
                body: bytes | None = None, params: Mapping | None = None, retryable: bool,
                budgeted: bool) -> requests.Response:
        """Send with the access token; handle 401 (renew once), 429 and error statuses."""
        token = credentials.access_token()
        self._local.last_op = op
        self._local.may_have_reached = False  # set by a retry after a try Xero may have done
        auth_retried = False
        rate_limit_waits = 0
        while True:
            if budgeted:
                self._budget.acquire(self.tenant_id, self._calls_per_minute, self._sleep)
            response = self._send(method, url, op=op, params=params, body=body,
                                  headers={**headers, "Authorization": f"Bearer {token}"},
                                  retryable=retryable, budgeted=budgeted, credentials=credentials)
            status = response.status_code
            if status in (401, 403) and not auth_retried:
                auth_retried = True
                expired = status == 401 and _says_token_expired(response)
                renewed = credentials.renew_after_rejection(token_expired=expired)
                if renewed is not None:
                    token = renewed
                    continue
            if status == 429:
                wait = self._rate_limit_wait(response, op, rate_limit_waits, credentials)
                self._sleep(wait)
                rate_limit_waits += 1
                continue
            break
        if status < 300:
            credentials.note_success()
            return response
        raise self._error(response, op, retryable=retryable, credentials=credentials)

    @contextmanager
    def counted(self, op: str, *, budgeted: bool = False) -> Iterator[None]:
        """Count and name one exchange, urllib3's retries inside it included."""
        self._local.context = (op, budgeted)
        self._local.attempts = 1
        self._local.last_op = op
        self._count(op)
        try:
            yield
        finally:
            self._local.context = None

    def _send(self, method, url, *, op, headers, body, params, retryable, budgeted, credentials):
        """One HTTP exchange (urllib3 may retry inside it), counted and timed."""
        started = time.perf_counter()
        with self.counted(op, budgeted=budgeted):
            try:
                response = self._adapters[retryable].send(
                    prepared(method, url, params, headers, body), timeout=self.timeout,
                    proxies=proxies_for(url), verify=ca_bundle())
                response.content  # read whole, as a session would (the connection goes back to its pool)
            except requests.RequestException as error:
                message = self.unreachable_message(error, method, retryable)
                logger.warning("xero %s tenant=%s failed: %s", op, self.tenant_id, message)
                credentials.record_error(message)
                raise XeroUnavailable(message, operation=op) from error
        logger.info("xero %s tenant=%s -> %s in %.0f ms, %d attempt(s), correlation %s",
                    op, self.tenant_id, response.status_code,
                    (time.perf_counter() - started) * 1000, self._local.attempts,
                    response.headers.get("Xero-Correlation-Id"))
        return response

    def _on_retry(self, may_have_reached: bool) -> None:
        """Called by urllib3 before each retry: count it and take it from the budget."""
        self._local.may_have_reached = getattr(self._local, "may_have_reached", False) or may_have_reached
        context = getattr(self._local, "context", None)
        if context is None:
            return
        op, budgeted = context
        self._local.attempts += 1
        if budgeted:
            self._budget.acquire(self.tenant_id, self._calls_per_minute, self._sleep)
        self._count(op)

    def _count(self, op: str) -> None:
        """Count one attempt, here and in the process-wide registry."""
        key = (self.tenant_id, op)
        with self._calls_lock:
            self.calls[key] += 1
        CALLS.add(key)

    def _rate_limit_wait(self, response, op, waits_so_far, credentials) -> float:
        """Seconds to sleep before retrying a 429, or raise XeroRateLimited."""
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        problem = response.headers.get("X-Rate-Limit-Problem")
        daily = "day" in (problem or "").lower()
        wait = 60.0 if retry_after is None else retry_after
        if not daily and waits_so_far < RATE_LIMIT_WAITS and wait <= RATE_LIMIT_MAX_WAIT:
            logger.warning("xero %s tenant=%s rate-limited (%s), waiting %.0f s",
                           op, self.tenant_id, problem, wait)
            return wait
        if daily:
            hours = (retry_after or 0) / 3600
            message = ("Xero's daily limit of calls for this organisation is used up; "
                       f"it resets in about {hours:.1f} hours.")
        else:
            message = (f"Xero is limiting calls to this organisation ({problem or 'rate limit'}); "
                       f"try again in {wait:.0f} seconds.")
        credentials.record_error(message)
        if getattr(self._local, "may_have_reached", False):
            # An earlier try of this request was lost on the way back (it was retried after
            # a timeout or a 5xx): Xero may have done it, so this is no "nothing was sent".
            raise XeroUnavailable(f"{message} An earlier try may have reached Xero.", status=429,
                                  operation=op, correlation_id=response.headers.get("Xero-Correlation-Id"))
        raise XeroRateLimited(
            message, retry_after=retry_after, problem=problem, status=429, operation=op,
            correlation_id=response.headers.get("Xero-Correlation-Id"),
        )

    def _error(self, response, op, *, retryable, credentials) -> XeroError:
        """The exception for an error answer."""
        status = response.status_code
        details = dict(status=status, operation=op,
                       correlation_id=response.headers.get("Xero-Correlation-Id"))
        body = body_or_text(response)
        if status == 400:
            return XeroValidationError.from_body(body, **details)
        if status in (401, 403):
            reason = _detail(body)
            message = RECONNECT + (f" (Xero said: {reason})" if reason else "")
            credentials.mark_needs_reconnect(message)
            return XeroAuthorisationLost(message, **details)
        if status == 404:
            return XeroNotFound("Xero has no such record.", **details)
        if status >= 500:
            attempts = getattr(self._local, "attempts", 1)
            # The status stays on the exception (and in the log), not in the sentence.
            message = "Xero is having problems at the moment"
            message += f" (Bridge tried {attempts} times)." if attempts > 1 else "."
            if not retryable:
                message += (" Bridge did not retry, because Xero may have done it anyway: "
                            "check Xero before trying again.")
            else:
                message += " Please try again in a few minutes."
            credentials.record_error(message)
            return XeroUnavailable(message, **details)
        reason = _detail(body)
        return XeroError("Xero did not accept the request" + (f": {reason}" if reason else "."),
                         **details)

    def unreachable_message(self, error, method, retryable) -> str:
        """What to tell a person when Xero could not be reached or did not answer."""
        attempts = getattr(self._local, "attempts", 1)
        tries = f" (Bridge tried {attempts} times)" if attempts > 1 else ""
        kind = _failure_kind(error)
        if kind == "connect":
            return f"Bridge could not reach Xero{tries}. Please try again in a few minutes."
        if kind == "timeout":
            message = f"Xero did not answer within {self.timeout:g} seconds{tries}."
        else:
            message = f"The connection to Xero broke off{tries}."
        if not retryable and method != "GET":
            message += (" Bridge did not retry, because Xero may have received it: "
                        "check Xero before trying again.")
        return message

    def _adapter(self, *, retrying: bool) -> XeroAdapter:
        """An adapter whose urllib3 Retry repeats only what is safe to repeat."""
        if retrying:
            retry = XeroRetry(
                total=RETRIES, connect=RETRIES, read=RETRIES, status=RETRIES, other=0,
                redirect=0, allowed_methods=frozenset({"GET", "PUT", "POST", "DELETE"}),
                status_forcelist=RETRY_STATUSES, backoff_factor=BACKOFF_FACTOR,
                backoff_max=BACKOFF_MAX, respect_retry_after_header=True,
                retry_after_max=RETRY_AFTER_MAX, raise_on_status=False,
                raise_on_redirect=False,
            )
        else:
            # Writes without an Idempotency-Key: only connection failures are retried (the
            # request never left); a timeout or a 5xx may mean Xero did it.
            retry = XeroRetry(
                total=RETRIES, connect=RETRIES, read=0, status=0, other=0, redirect=0,
                allowed_methods=frozenset({"GET"}), status_forcelist=(),
                backoff_factor=BACKOFF_FACTOR, backoff_max=BACKOFF_MAX,
                raise_on_status=False, raise_on_redirect=False,
            )
        retry.sleep_function = self._sleep
        retry.on_retry = self._on_retry
        return XeroAdapter(max_retries=retry)


def body_or_text(response: requests.Response) -> object:
    """An error answer's body: decoded JSON, else the start of its text."""
    try:
        return wire.decode(response.content)
    except ValueError:
        return response.text[:500]


def _says_token_expired(response: requests.Response) -> bool:
    """Whether a 401 says the access token expired (rather than access being withdrawn)."""
    text = response.text[:2000].lower()
    header = response.headers.get("WWW-Authenticate", "").lower()
    return "tokenexpired" in text or "token expired" in text or "expired" in header


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds from now."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - utcnow()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


def _detail(body: object) -> str:
    """The human part of a problem-details or error body."""
    if isinstance(body, dict):
        for key in ("Detail", "detail", "Message", "message", "Title", "title"):
            if body.get(key):
                return str(body[key])
        return ""
    return str(body or "").strip()[:300]


def _failure_kind(error: requests.RequestException) -> str:
    """"connect" (the request never left), "timeout" (no answer in time) or "broken"."""
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    if isinstance(error, requests.ConnectTimeout) or isinstance(reason, ConnectTimeoutError):
        return "connect"  # urllib3's NewConnectionError (refused, DNS) is one of these too
    if isinstance(error, requests.Timeout) or isinstance(reason, ReadTimeoutError):
        return "timeout"
    return "broken"
