"""Pure functions from a Bridge credit note and its invoice's copy to Xero's CreditNote payload
(spec schema CreditNote, which has no Url: a lost create is found by its Reference, which
carries Bridge's credit note number). No I/O, no Flask.

A credit note's lines take what their invoice lines were sent with: the account, the tax type
and the tracking of the invoice copy's LineItem at the same position (the copy's stored
request); a line for an amount takes the first line's.
"""
from dataclasses import dataclass
from decimal import Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class NoteChoices:
    """What the invoice's copy, the settings and the modal decide for one credit note's copy."""

    contact_id: str
    status: str
    # The invoice copy's LineItems as sent (AccountCode, TaxType, Tracking per position).
    invoice_items: tuple
    send_number: bool = True
    branding_theme_id: str | None = None


def reference(note, invoice_number: str) -> str:
    """Xero's Reference: the invoice it credits and Bridge's number (how a lost copy is found)."""
    return f"{invoice_number} / {note.number}"


def credit_note_payload(note, invoice_number: str, choices: NoteChoices) -> dict:
    """The ACCRECCREDIT credit note to PUT (create) to Xero."""
    payload = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": choices.contact_id},
        "Date": note.issue_date,
        "CurrencyCode": note.currency,
        "LineAmountTypes": "Exclusive",
        "Reference": reference(note, invoice_number),
        "Status": choices.status,
        "LineItems": [line_item(note, line, choices) for line in note.lines],
    }
    if choices.send_number:
        payload["CreditNoteNumber"] = note.number
    if choices.branding_theme_id:
        payload["BrandingThemeID"] = choices.branding_theme_id
    return payload


def update_payload(note, invoice_number: str, choices: NoteChoices, current: dict) -> dict:
    """The POST that makes Xero's credit note `current` match ours: its number and status stay
    Xero's; lines keep Xero's LineItemIDs in order (as an invoice's update, notes §10.3)."""
    payload = credit_note_payload(note, invoice_number, choices)
    payload.pop("CreditNoteNumber", None)
    payload["Status"] = current.get("Status") or choices.status
    existing = [line.get("LineItemID") for line in current.get("LineItems") or []]
    for item, line_id in zip(payload["LineItems"], existing):
        if line_id:
            item["LineItemID"] = line_id
    return payload


def source_item(note, line, choices: NoteChoices) -> dict:
    """The invoice copy's LineItem a credit note line takes its account, tax and tracking from."""
    items = choices.invoice_items
    if not items:
        return {}
    position = 0
    if line.invoice_line_id is not None:
        ids = [invoice_line.id for invoice_line in note.invoice.lines]
        position = ids.index(line.invoice_line_id) if line.invoice_line_id in ids else 0
    return items[position] if position < len(items) else items[0]


def line_item(note, line, choices: NoteChoices) -> dict:
    """One credit note line as a Xero LineItem (Xero derives LineAmount and TaxAmount)."""
    source = source_item(note, line, choices)
    description, quantity, unit_amount = without_discount(line)
    item = {
        "Description": description,
        "Quantity": quantity,
        "UnitAmount": unit_amount,
        "AccountCode": source.get("AccountCode"),
        "TaxType": source.get("TaxType"),
    }
    if source.get("Tracking"):
        item["Tracking"] = [dict(entry) for entry in source["Tracking"]]
    return item


def without_discount(line) -> tuple[str, Decimal, Decimal]:
    """The line's description, quantity and unit amount with its discount taken off.

    Xero takes DiscountRate on sales invoices only, not on credit notes (XERO_API_NOTES.md §10.1,
    "ACCREC only"). The discounted unit amount keeps the quantity when it is exact to the cent
    (12 x 80.00 less 10% = 12 x 72.00); otherwise the line goes as 1 x its net amount, the
    quantity and discount said in the description, so Xero's total matches Bridge's to the cent.
    """
    if not line.discount_percent:
        return line.description, line.quantity, line.unit_price
    if line.quantity:
        unit = line.net_amount / line.quantity
        if unit == unit.quantize(CENT):
            return line.description, line.quantity, unit.quantize(CENT)
    detail = f"{line.quantity.normalize():f} x {line.unit_price} less {line.discount_percent.normalize():f}%"
    return f"{line.description} ({detail})"[:4000], Decimal("1"), line.net_amount
