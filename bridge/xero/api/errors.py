"""What can go wrong talking to Xero, as exceptions whose message a person can act on.

Every exception is a XeroError; str(error) is the message to show. `status` is the HTTP
status (None when Xero never answered), `operation` the call ("PUT /Invoices") and
`correlation_id` Xero's Xero-Correlation-Id, worth quoting to Xero support.
"""
from dataclasses import dataclass, field

# Said whenever Xero stopped accepting Bridge's tokens for an organisation.
RECONNECT = "Bridge's access to this Xero organisation has ended. An admin must reconnect it."


class XeroError(Exception):
    """A Xero call failed."""

    def __init__(self, message: str, *, status: int | None = None,
                 operation: str | None = None, correlation_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.operation = operation
        self.correlation_id = correlation_id


class XeroAuthorisationLost(XeroError):
    """Bridge can no longer act for this organisation: an admin must reconnect it."""


class XeroNotFound(XeroError):
    """Xero has no such record (or no such route)."""


class XeroUnavailable(XeroError):
    """Xero did not answer, or answered 5xx, after the retries that were safe to make."""


class XeroRateLimited(XeroError):
    """Xero refused the call for a rate limit (429).

    `retry_after` is Xero's Retry-After in seconds, `problem` its X-Rate-Limit-Problem
    ("minute", "day", … as sent; compare with `is_daily`, which ignores case).
    """

    def __init__(self, message: str, *, retry_after: float | None, problem: str | None,
                 **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.problem = problem

    @property
    def is_daily(self) -> bool:
        return "day" in (self.problem or "").lower()


@dataclass(frozen=True)
class ElementError:
    """The messages Xero gave for one element of a request (one invoice, one contact…).

    `position` is the element's place in Xero's list: with summarizeErrors=false that is
    the order we sent. `element` is Xero's echo of it; an InvoiceID in there does not mean
    anything was saved.
    """

    position: int
    messages: tuple[str, ...]
    element: dict = field(repr=False, compare=False)


class XeroValidationError(XeroError):
    """Xero refused the content of a request (HTTP 400, or ERROR elements in a batch).

    `messages` holds every message of every element (lines included), in order;
    `elements` the same per element; `succeeded` the elements Xero accepted in the same
    batch (summarizeErrors=false), which do exist in Xero now.
    """

    def __init__(self, messages: list[str], *, elements: list[ElementError] = (),
                 succeeded: list[dict] = (), **kwargs):
        self.messages = list(messages)
        self.elements = list(elements)
        self.succeeded = list(succeeded)
        unique = list(dict.fromkeys(self.messages)) or ["Xero refused the request."]
        super().__init__("Xero refused it: " + " ".join(_sentence(m) for m in unique), **kwargs)

    @classmethod
    def from_body(cls, body: object, **kwargs) -> "XeroValidationError":
        """From a 400 body: a ValidationException with Elements, or any Message/Detail."""
        if not isinstance(body, dict):
            text = str(body or "").strip()
            return cls([text[:500]] if text else [], **kwargs)
        elements = [element_error(i, e) for i, e in enumerate(body.get("Elements") or [])]
        elements = [e for e in elements if e.messages]
        messages = [m for e in elements for m in e.messages]
        if not messages:
            general = body.get("Message") or body.get("Detail") or body.get("Title")
            messages = [str(general)] if general else []
        return cls(messages, elements=elements, **kwargs)

    @classmethod
    def from_elements(cls, elements: list[dict], **kwargs) -> "XeroValidationError | None":
        """From a summarizeErrors=false answer; None when no element was refused.

        Refused elements carry StatusAttributeString ERROR.
        """
        failed = [element_error(i, e) for i, e in enumerate(elements) if element_failed(e)]
        if not failed:
            return None
        succeeded = [e for e in elements if not element_failed(e)]
        messages = [m for e in failed for m in e.messages] or [
            "Xero refused an element without saying why."
        ]
        return cls(messages, elements=failed, succeeded=succeeded, **kwargs)

    def in_order(self, count: int) -> list[dict]:
        """Xero's answer per element of a batch of `count`, in the order sent: the refused
        ones at their positions, the accepted ones (`succeeded`, in order) in between."""
        failed = {item.position: item.element for item in self.elements}
        succeeded = iter(self.succeeded)
        return [failed[i] if i in failed else next(succeeded) for i in range(count)]


def element_failed(element: dict) -> bool:
    """Whether Xero marked one returned element as refused."""
    status = str(element.get("StatusAttributeString") or "").upper()
    if status:
        return status == "ERROR"
    return bool(element.get("HasErrors")) or bool(element.get("ValidationErrors"))


def element_error(position: int, element: dict) -> ElementError:
    """All messages of one element: its own, then its lines' ("Line 2: …")."""
    messages = [_message(v) for v in element.get("ValidationErrors") or []]
    for number, line in enumerate(element.get("LineItems") or [], start=1):
        if isinstance(line, dict):
            line_errors = line.get("ValidationErrors") or []
            messages += [f"Line {number}: {_message(v)}" for v in line_errors]
    return ElementError(position, tuple(m for m in messages if m), element)


def _message(validation_error: object) -> str:
    if isinstance(validation_error, dict):
        return str(validation_error.get("Message") or "").strip()
    return str(validation_error).strip()


def _sentence(message: str) -> str:
    return message if message.endswith((".", "!", "?")) else message + "."
