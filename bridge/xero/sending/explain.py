"""Xero's refusals in plain words: what happened, and which setting or field to check.

Xero's own messages are always kept verbatim (people may search for them, or quote them to
Xero support); each gets our explanation beside it when we recognise it.
"""
import math
import re
from dataclasses import dataclass

from bridge.xero.api.errors import (
    XeroAuthorisationLost,
    XeroError,
    XeroNotFound,
    XeroRateLimited,
    XeroUnavailable,
    XeroValidationError,
)

XERO_SETTINGS = "Settings > App Marketplace > Xero"
LOCKED_MESSAGES = ("cannot be edited as it has a payment or credit note",
                   "not of valid status for modification")
DUPLICATE_NUMBER = "invoice # must be unique"

# Patterns over Xero's messages with one hint for invoices and another for bills.
TAX = re.compile(r"taxtype|tax rate must be valid|tax type", re.I)
ACCOUNT = re.compile(r"account code|account must be valid|account code or id", re.I)
CURRENCY = re.compile(r"subscribed to currency", re.I)
LOCKED = re.compile(r"|".join(LOCKED_MESSAGES), re.I)
LOCK_DATE = re.compile(r"lock date", re.I)

# (pattern over Xero's message, what to check), for invoices and for bills (expenses);
# the first match wins.
SHARED_HINTS = [
    (re.compile(r"already assigned to another contact", re.I),
     "A Xero contact with this name exists already: search for it above and pick it, or give "
     "the new contact another name."),
    (re.compile(r"contact", re.I),
     "Check the Xero contact chosen here: it may have been archived or merged in Xero. "
     "Pick or create another one."),
]
STATUS_HINTS = [
    (re.compile(r"status", re.I),
     f"Check the status chosen here, or the initial invoice status in {XERO_SETTINGS}."),
]
IDEMPOTENCY_KEY = re.compile(r"idempotency key", re.I)
# Tracking options or categories archived in Xero since Bridge last read them, and themes.
TRACKING_HINTS = [
    (re.compile(r"tracking ?(option|category)", re.I),
     f"A tracking option or category was archived or removed in Xero: use Refresh from Xero in "
     f"{XERO_SETTINGS}, then map the values under Tracking categories to other options."),
    (re.compile(r"branding ?theme", re.I),
     f"The branding theme is no longer in Xero: use Refresh from Xero in {XERO_SETTINGS} and "
     "choose another theme."),
]
HINTS = {
    "invoice": TRACKING_HINTS + [
        (TAX,
         f"Check the tax rate chosen here, and the tax rate mapping in {XERO_SETTINGS} "
         "(Refresh from Xero there reads Xero's current rates)."),
        (ACCOUNT,
         f"Check the revenue account mapping in {XERO_SETTINGS}: the default revenue account "
         "and the accounts of the service types on this invoice."),
        (re.compile(re.escape(DUPLICATE_NUMBER), re.I),
         "Xero already has an invoice with this number. While Bridge numbers invoices, use Update "
         f"existing, or let Xero number invoices in {XERO_SETTINGS}."),
        (CURRENCY,
         "This Xero organisation does not use the invoice's currency: add it in Xero (Settings > "
         "Currencies) or change the invoice's currency in Bridge."),
        (LOCKED,
         "The invoice was paid, part paid, voided or deleted in Xero, so Xero keeps it as it is: "
         "create a new copy instead."),
        (LOCK_DATE,
         "The invoice's issue date is before Xero's lock date: change the issue date in Bridge, "
         "or ask your accountant to move the lock date in Xero."),
    ] + SHARED_HINTS + [
        (IDEMPOTENCY_KEY, "This window is out of date: close it and open Copy to Xero again."),
    ] + STATUS_HINTS,
    "bill": TRACKING_HINTS + [
        (TAX,
         f"Check the tax rate on bills in {XERO_SETTINGS} (Expenses): it must be a Xero rate "
         "that applies to expenses (Refresh from Xero there reads Xero's current rates)."),
        (ACCOUNT,
         f"Check the expense accounts in {XERO_SETTINGS} (Expenses): the default expense "
         "account and the expense account of this expense's service type."),
        (CURRENCY,
         "This Xero organisation does not use the expense's currency: add it in Xero (Settings > "
         "Currencies) or change the expense's currency in Bridge."),
        (LOCKED,
         "The bill was paid, part paid, voided or deleted in Xero, so Xero keeps it as it is: "
         "create a new bill instead."),
        (LOCK_DATE,
         "The expense's date is before Xero's lock date: change the expense's date in Bridge, "
         "or ask your accountant to move the lock date in Xero."),
    ] + SHARED_HINTS + [
        (IDEMPOTENCY_KEY, "This page is out of date: reload it and send again."),
    ] + STATUS_HINTS,
}
# A credit note is refused for the same reasons as an invoice (same lines, accounts, rates).
HINTS["credit note"] = HINTS["invoice"]


@dataclass(frozen=True)
class Detail:
    """One of Xero's messages, verbatim, and what to check (None when not recognised)."""

    message: str
    hint: str | None


@dataclass(frozen=True)
class Refusal:
    """Why something was not done: a kind, our sentence, Xero's messages with hints."""

    kind: str
    message: str
    details: tuple[Detail, ...] = ()
    retry_after: float | None = None


def details(messages: list[str] | tuple[str, ...] | None, document: str = "invoice") -> tuple[Detail, ...]:
    """Each of Xero's messages (duplicates once) with our hint for an invoice or a bill."""
    return tuple(Detail(m, hint(m, document)) for m in dict.fromkeys(messages or []))


def hint(message: str, document: str = "invoice") -> str | None:
    """What to check for one of Xero's messages about an invoice or a bill."""
    return next((text for pattern, text in HINTS[document] if pattern.search(message)), None)


def is_locked(messages) -> bool:
    """Whether Xero refused a change because of the invoice's state there."""
    return any(lock in m.lower() for m in messages or [] for lock in LOCKED_MESSAGES)


def refusal(error: XeroError, *, action: str, number: str | None = None,
            document: str = "invoice") -> Refusal:
    """A Xero error as people should read it, for a copy (action create) or an update of an
    invoice, or a bill."""
    if isinstance(error, XeroValidationError):
        return _validation(error, action, number, document)
    if isinstance(error, XeroRateLimited):
        return Refusal("rate_limited", rate_limited(error), retry_after=error.retry_after)
    if isinstance(error, XeroAuthorisationLost):
        return Refusal("reconnect", "Xero no longer accepts Bridge's access to this organisation, "
                       "so nothing was sent. An admin must reconnect Xero in Settings > App "
                       "Marketplace.")
    if isinstance(error, XeroNotFound):
        if action == "update":
            return Refusal("not_found", f"Xero no longer has the copied {document} (it may have "
                           f"been deleted there). {_create_new(document)}")
        return Refusal("not_found", str(error))
    if isinstance(error, XeroUnavailable):
        return Refusal("unavailable", f"Xero is unavailable at the moment: {error}")
    return Refusal("error", str(error))


def _validation(error: XeroValidationError, action: str, number: str | None, document: str) -> Refusal:
    found = details(error.messages, document)
    lowered = [m.lower() for m in error.messages]
    if action == "update" and is_locked(error.messages):
        return Refusal("locked", f"Xero will not change this {document} any more: it has a "
                       "payment or credit note applied, or it was voided or deleted in Xero. "
                       f"Nothing was changed. {_create_new(document)}", found)
    if any(DUPLICATE_NUMBER in m for m in lowered):
        return Refusal("duplicate_number", f"Xero already has an invoice numbered {number or 'so'}, "
                       "and Xero invoice numbers must be unique. While Bridge numbers invoices, "
                       "a new copy cannot take the same number: use Update existing to change "
                       "the copy in Xero, or delete that draft in Xero first.", found)
    return Refusal("validation", "Xero refused it. Nothing was changed; check what each message "
                   "points to, then try again.", found)


def _create_new(document: str) -> str:
    """What to do when the copy in Xero cannot be changed: a bill is sent again as a new bill."""
    return "Create a new bill instead." if document == "bill" else "Create a new copy instead."


def rate_limited(error: XeroRateLimited) -> str:
    """Which limit was hit and when to try again."""
    if error.is_daily:
        hours = max(1, math.ceil((error.retry_after or 3600) / 3600))
        return ("Xero's daily limit of calls for this organisation is used up, so nothing was "
                f"sent. Try again in about {hours} hour{'s' if hours > 1 else ''}.")
    seconds = max(1, math.ceil(error.retry_after or 60))
    return ("Xero is receiving too many calls for this organisation right now, so nothing was "
            f"sent. Try again in {seconds} seconds.")
