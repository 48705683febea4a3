"""Xero's validation messages (notes §6.4) and the checks that produce them.

Where a message is not in the notes it is marked UNCONFIRMED: it is the sandbox's own
wording in Xero's style, so clients should show it verbatim rather than match on it.
"""
from flask import g

from bridge.xero_sandbox import clock
from bridge.xero_sandbox.db import Account, Contact, Organisation, TaxRate, db, new_id

ACCOUNT_INVALID = "Account code '{code}' is not a valid code for this document."
ACCOUNT_REQUIRED = "Account code or ID must be specified"
ACCOUNT_ARCHIVED = "Account must be valid."
TAX_UNKNOWN = "The TaxType code {code} does not exist or cannot be used for this type of transaction."
TAX_WITH_ACCOUNT = "The TaxType code '{code}' cannot be used with account code '{account}'."
TAX_INACTIVE = "Tax rate must be valid."
NUMBER_TAKEN = "Invoice # must be unique."
CONTACT_UNIDENTIFIED = (
    "The Contact must contain at least 1 of the following elements to identify the contact: "
    "Name, ContactID, ContactNumber"
)
CONTACT_NAME_TAKEN = (
    "The contact name {name} is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)
CONTACT_ARCHIVED = (
    "The contact with the specified contact details has been archived. "
    "The contact must be un-archived before creating new invoices or credit notes."
)
BAD_STATUS = "Invoice not of valid status for modification"
LOCKED = "This document cannot be edited as it has a payment or credit note allocated to it."
PAYMENT_TOO_BIG = "Payment amount exceeds the amount outstanding on this document"
PAYMENT_NOT_AUTHORISED = "Payments can only be made against Authorised documents"
ONLY_STATUS = "Only Status accepted for updates."
DOCUMENT_NOT_FOUND = "The document with the supplied id was not found for this endpoint."
# Reported in third-party integrations, not on an official page: UNCONFIRMED wording.
CURRENCY = "Organisation is not subscribed to currency {code}"
# Names of the currencies a sandbox organisation may enable (ISO 4217 names, as Xero shows them).
CURRENCY_NAMES = {
    "AUD": "Australian Dollar", "CAD": "Canadian Dollar", "CHF": "Swiss Franc", "EUR": "Euro",
    "GBP": "British Pound", "JPY": "Japanese Yen", "NZD": "New Zealand Dollar",
    "SGD": "Singapore Dollar", "USD": "United States Dollar", "ZAR": "South African Rand",
}
# UNCONFIRMED: the sandbox's own wording (no Xero source found).
NO_LINES = "At least one line item must be specified."
TYPE_REQUIRED = "A valid Type must be specified: {types}."
DISCOUNT_SALES_ONLY = "Discounts can only be applied to sales invoices (ACCREC)."
LINE_AMOUNT_TYPES = "LineAmountTypes must be Exclusive, Inclusive or NoTax."
HISTORY_TOO_LONG = "The Details field must be {limit} characters or fewer."
HISTORY_EMPTY = "The Details field must not be empty."
PAYMENT_ACCOUNT = "Payments can only be made to bank accounts or accounts with payments enabled."
PAYMENT_AMOUNT = "Payment amount must be greater than zero."
ALLOCATION_TOO_BIG = "The amount allocated exceeds the remaining credit on this credit note."
ALLOCATION_EXCEEDS_DUE = "The amount allocated exceeds the amount outstanding on the invoice."
ALLOCATION_CONTACT = "The credit note and the invoice must be for the same contact."

# Accounts that may never carry a document line (bank, and Xero's system accounts).
LINE_FORBIDDEN_TYPES = {"BANK"}


def _cache(name: str, loader):
    """Memoise reference data for the length of one request."""
    store = g.setdefault("_sandbox_cache", {})
    if name not in store:
        store[name] = loader()
    return store[name]


def accounts(org_id: str) -> list[Account]:
    """The organisation's chart of accounts."""
    return _cache(f"accounts:{org_id}", lambda: list(db.session.scalars(
        db.select(Account).filter_by(org_id=org_id))))


def tax_rates(org_id: str) -> dict[str, TaxRate]:
    """The organisation's tax rates by TaxType."""
    return _cache(f"tax:{org_id}", lambda: {t.tax_type: t for t in db.session.scalars(
        db.select(TaxRate).filter_by(org_id=org_id))})


def currencies(org: Organisation) -> dict[str, str]:
    """The organisation's enabled currencies, {Code: Description}, base currency first.

    One list for both sides: GET /Currencies serves it and a document in any other currency
    is refused with CURRENCY, as Xero does (notes "Currencies", §6.4).
    """
    return {code: CURRENCY_NAMES.get(code, code) for code in org.currency_list}


def currency_problem(org: Organisation, code: str) -> str | None:
    """Why a document cannot be in this currency (the organisation has not enabled it), or None."""
    return None if code in currencies(org) else CURRENCY.format(code=code)


def line_account(org_id: str, code: str | None, account_id: str | None) -> tuple[Account | None, str | None]:
    """The account a line names (by code or ID), or the message why it cannot be used."""
    if not code and not account_id:
        return None, None
    chart = accounts(org_id)
    if code:
        found = next((a for a in chart if a.code == str(code)), None)
        label = str(code)
    else:
        found = next((a for a in chart if a.id == str(account_id).lower()), None)
        label = str(account_id)
    if found is None or found.status == "DELETED":
        return None, ACCOUNT_INVALID.format(code=label) if code else ACCOUNT_ARCHIVED
    if found.type in LINE_FORBIDDEN_TYPES or found.system_account:
        return None, ACCOUNT_INVALID.format(code=found.code)
    if found.status == "ARCHIVED":
        return None, ACCOUNT_ARCHIVED
    return found, None


def tax_problem(org_id: str, tax_type: str, sales: bool, account: Account | None) -> str | None:
    """Why a TaxType cannot be used on this line, or None.

    Model (UNCONFIRMED as a rule set): the rate must exist and be ACTIVE, must apply to
    the direction (CanApplyToRevenue on sales documents, CanApplyToExpenses on purchases)
    and to the line account's Class (CanApplyTo<Class>).
    """
    rate = tax_rates(org_id).get(tax_type)
    if rate is None:
        return TAX_UNKNOWN.format(code=tax_type)
    if rate.status != "ACTIVE":
        return TAX_INACTIVE
    if not (rate.can_revenue if sales else rate.can_expenses):
        return TAX_UNKNOWN.format(code=tax_type)
    if account is not None and not rate.applies_to_class(account.account_class):
        return TAX_WITH_ACCOUNT.format(code=tax_type, account=account.code)
    return None


def default_tax_type(org_id: str, sales: bool, account: Account | None) -> str:
    """The tax type a line gets when none is sent: the account's default if usable, else NONE."""
    if account is not None and tax_problem(org_id, account.tax_type, sales, account) is None:
        return account.tax_type
    return "NONE"


def resolve_contact(org_id: str, sent) -> tuple[Contact | None, str | None]:
    """The contact a document names (ContactID, ContactNumber or Name), or a message.

    A Name that matches no active contact creates one (notes §9); the new contact is
    returned unsaved and is saved only if the document is. An unknown ContactID gets the
    "must contain at least 1" message (UNCONFIRMED: Xero's text for this case).
    """
    if not isinstance(sent, dict):
        return None, CONTACT_UNIDENTIFIED
    select = db.select(Contact).filter_by(org_id=org_id)
    contact = None
    if sent.get("ContactID"):
        contact = db.session.scalar(select.filter_by(id=str(sent["ContactID"]).lower()))
    elif sent.get("ContactNumber"):
        contact = db.session.scalar(select.filter_by(contact_number=str(sent["ContactNumber"])))
    elif sent.get("Name"):
        name = str(sent["Name"]).strip()
        contact = db.session.scalar(select.filter_by(name=name, status="ACTIVE"))
        if contact is None:
            contact = Contact(id=new_id(), org_id=org_id, name=name, status="ACTIVE",
                              email=str(sent.get("EmailAddress") or ""), extra={},
                              updated_utc=clock.now())
    if contact is None:
        return None, CONTACT_UNIDENTIFIED
    if contact.status == "ARCHIVED":
        return None, CONTACT_ARCHIVED
    return contact, None


# Allowed status changes through the API (notes §10.3). SUBMITTED -> DRAFT is allowed
# here (UNCONFIRMED). PAID is never set by a client: payments and credits set it.
TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"SUBMITTED", "DRAFT", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
    "PAID": {"PAID"},
    "VOIDED": set(),
    "DELETED": set(),
}
CREATE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}


def transition_problem(current: str | None, target: str, applied: bool) -> str | None:
    """Why a document cannot move from current to target status, or None."""
    if current is None:
        return None if target in CREATE_STATUSES else BAD_STATUS
    if target not in TRANSITIONS.get(current, set()):
        return BAD_STATUS
    if target == "VOIDED" and applied:
        return LOCKED
    return None
