"""Pure pieces of a Xero payload that every sent document shares (invoice, bill, credit
note): the statuses a copy may be created with, the attempt's Url, a new contact, the note.
No I/O, no Flask; the document's own mapping lives with its capability."""

# Xero statuses a copy may be created with (PAID/VOIDED/DELETED cannot be set on create).
COPY_STATUSES = {"DRAFT": "Draft", "SUBMITTED": "Submitted", "AUTHORISED": "Approved"}
MAX_ADDRESS_LINES = 4


def attempt_url(invoice_url: str, attempt_key: str) -> str:
    """The invoice's address in Bridge, marked with one copy attempt (Xero's Url field)."""
    separator = "&" if "?" in invoice_url else "?"
    return f"{invoice_url}{separator}xero_copy={attempt_key}"


def contact_payload(company, *, name: str | None = None, email: str | None = None,
                    tax_number: str | None = None) -> dict:
    """A new Xero contact from a Bridge client: name, email, tax number, address, currency.

    name, email and tax_number, when given, replace the client's (the person edited them).
    """
    payload = {
        "Name": _text(company.name if name is None else name),
        "EmailAddress": _text(company.email if email is None else email),
        "TaxNumber": _text(company.tax_number if tax_number is None else tax_number),
        "DefaultCurrency": company.default_currency or None,
    }
    address = address_lines(company.address)
    if address:
        payload["Addresses"] = [{"AddressType": "POBOX", **address}]
    return payload


def _text(value: str | None) -> str | None:
    """Surrounding spaces removed; empty is None (left out of the payload)."""
    return (value or "").strip() or None


def address_lines(text: str | None) -> dict:
    """A free-text address as Xero's AddressLine1..4 (extra lines join the last one)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_ADDRESS_LINES:
        lines = lines[: MAX_ADDRESS_LINES - 1] + [", ".join(lines[MAX_ADDRESS_LINES - 1:])]
    return {f"AddressLine{index}": line for index, line in enumerate(lines, start=1)}


def note_text(field_name: str, value: str | None) -> str | None:
    """The History & Notes entry for the custom field chosen as the accountant's note."""
    value = (value or "").strip()
    return f"{field_name}: {value}" if value else None
