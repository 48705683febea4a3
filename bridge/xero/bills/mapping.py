"""Pure functions from a budget expense to a Xero bill (an ACCPAY invoice); no I/O, no Flask.

One expense is one bill with one line: its description, quantity and net amount (the
markup is what Bridge bills the client on top; it never leaves Bridge), the expense
account of its service type (else the default expense account) and the tax type for bills
from the settings. The expense's reference is the bill's InvoiceNumber (the supplier's
number: Xero does not require it to be unique on bills). With tracking categories mapped, the
line carries the options of the expense's service type, its budget's client and its budget.
"""
from dataclasses import dataclass, field, replace
from decimal import Decimal

from bridge.xero.settings.tracking_rules import LineTracking, TrackingRules

CENT = Decimal("0.01")


@dataclass(frozen=True)
class BillChoices:
    """What the settings (and the supplier's Xero contact) decide for one bill."""

    contact_id: str
    status: str
    default_account: str | None
    # service_type_id -> expense account code; unmapped service types use the default.
    accounts: dict = field(default_factory=dict)
    # None: left out, so Xero applies the account's default tax rate.
    tax_type: str | None = None
    # Bridge's address of the expense, carrying the attempt key (finds a lost bill again).
    url: str | None = None
    # The tracking categories mapped for bills (empty: no Tracking sent).
    tracking: TrackingRules = field(default_factory=TrackingRules)


@dataclass(frozen=True)
class Missing:
    """A field the expense needs before it can become a bill."""

    field: str
    message: str


def account_for(service_type_id: int | None, choices: BillChoices) -> str | None:
    """The bill line's account: the service type's expense account, else the default."""
    return choices.accounts.get(service_type_id) or choices.default_account


def missing_fields(expense, choices: BillChoices) -> list[Missing]:
    """What stops this expense from being a bill Xero accepts (checked before sending)."""
    missing = []
    if expense.supplier_id is None:
        missing.append(Missing("supplier", "No supplier: the bill's contact in Xero is the supplier."))
    if expense.due_date is None:
        missing.append(Missing("due_date", "No due date: a bill needs one."))
    if not (expense.description or "").strip():
        missing.append(Missing("description", "No description."))
    if not account_for(expense.service_type_id, choices):
        missing.append(Missing("account", "No expense account: map its service type or choose "
                                          "a default expense account in the Xero settings."))
    return missing


def quantity_and_unit(quantity: Decimal, amount: Decimal) -> tuple[Decimal, Decimal]:
    """Quantity and unit price whose product is the net amount to the cent.

    Xero multiplies them (unit prices have 2 decimals by default); when the amount does not
    divide evenly, the line is 1 × the amount so the bill's net is exactly the expense's.
    """
    if quantity and quantity > 0:
        unit = (amount / quantity).quantize(CENT)
        if unit * quantity == amount:
            return quantity, unit
    return Decimal("1"), amount


def line_description(expense) -> str:
    """The line's text; a quantity that could not be kept as such is said in it."""
    quantity, _ = quantity_and_unit(expense.quantity, expense.amount)
    if expense.quantity and quantity != expense.quantity:
        return f"{expense.description} (quantity {expense.quantity.normalize():f})"
    return expense.description


def bill_line(expense, choices: BillChoices) -> dict:
    """The expense as the bill's one LineItem (Xero derives LineAmount and TaxAmount)."""
    quantity, unit = quantity_and_unit(expense.quantity, expense.amount)
    item = {
        "Description": line_description(expense),
        "Quantity": quantity,
        "UnitAmount": unit,
        "AccountCode": account_for(expense.service_type_id, choices),
    }
    if choices.tax_type:
        item["TaxType"] = choices.tax_type
    if choices.tracking:
        item["Tracking"] = list(bill_tracking(expense, choices).entries)
    return item


def bill_tracking(expense, choices: BillChoices) -> LineTracking:
    """The bill line's tracking: the options of the expense's service type, its budget's client
    and its budget, under the categories mapped for bills."""
    if not choices.tracking:
        return LineTracking()
    budget = expense.budget
    values = {"budget": (str(budget.id), budget.name)}
    if expense.service_type_id:
        values["service_type"] = (str(expense.service_type_id), expense.service_type.name)
    if budget.client_id:
        values["client"] = (str(budget.client_id), budget.client.name)
    return choices.tracking.line(values)


def bill_payload(expense, choices: BillChoices) -> dict:
    """The ACCPAY invoice to PUT (create) to Xero."""
    payload = {
        "Type": "ACCPAY",
        "Contact": {"ContactID": choices.contact_id},
        "Date": expense.date,
        "DueDate": expense.due_date,
        "CurrencyCode": expense.currency,
        "LineAmountTypes": "Exclusive",
        "Status": choices.status,
        "LineItems": [bill_line(expense, choices)],
    }
    if expense.reference:
        payload["InvoiceNumber"] = expense.reference
    if choices.url:
        payload["Url"] = choices.url
    return payload


def bill_update_payload(expense, choices: BillChoices, current: dict) -> dict:
    """The POST that makes an existing bill (`current`, as Xero sent it) match the expense.

    It keeps Xero's status and its link, and its first line (by LineItemID); a cleared
    reference is sent empty so Xero clears the number too.
    """
    payload = bill_payload(expense, replace(choices, url=None))
    payload["Status"] = current.get("Status") or choices.status
    payload["InvoiceNumber"] = expense.reference or ""
    lines = current.get("LineItems") or []
    if lines and lines[0].get("LineItemID"):
        payload["LineItems"][0]["LineItemID"] = lines[0]["LineItemID"]
    return payload
