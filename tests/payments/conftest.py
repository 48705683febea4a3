"""Payment sync fixtures: Bridge connected to a fresh Xero sandbox over real HTTP, with
payment sync on, and helpers that make copied invoices and bills, pay them "in Xero" and run
the sync.

A copied invoice is made as a successful "Copy to Xero" leaves it: the invoice exists in
Xero (made with XeroClient.create_invoices) and Bridge holds a done XeroCopy with its id.
"""
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Budget, Company, Expense, Payment, XeroCopy, XeroSettings, XeroSyncState, utcnow
from bridge.xero.sending.attempt import mark_done
from bridge.xero.api.client import XeroClient
from bridge.xero.sync.payments import sync_organisation
from tests.invoicing import factories
from tests.workspace.conftest import admin, member  # noqa: F401  (fixtures)
from tests.xero.conftest import (  # noqa: F401  (fixtures)
    connect,
    fresh_process_state,
    nz,
    sandbox_app,
    sandbox_requests,
    sleeps,
)


def sale(contact_id: str, amount: str) -> dict:
    """An approved sales invoice of one line, no tax: its total is `amount`."""
    return {"Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Status": "AUTHORISED",
            "Date": dt.date(2026, 3, 2), "DueDate": dt.date(2026, 4, 1), "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Design sprint", "Quantity": Decimal("1"),
                           "UnitAmount": Decimal(amount), "AccountCode": "200", "TaxType": "NONE"}]}


def bill(contact_id: str, amount: str) -> dict:
    """An approved bill (ACCPAY) of one line, no tax: an expense sent from a budget."""
    return {"Type": "ACCPAY", "Contact": {"ContactID": contact_id}, "Status": "AUTHORISED",
            "InvoiceNumber": f"BILL-{uuid.uuid4().hex[:6]}", "Date": dt.date(2026, 3, 2),
            "DueDate": dt.date(2026, 3, 20), "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Flyers", "Quantity": Decimal("1"),
                           "UnitAmount": Decimal(amount), "AccountCode": "453", "TaxType": "NONE"}]}


def done_copy(xero_doc: dict, tenant_id: str, **document) -> XeroCopy:
    """What a successful copy leaves: its row done with Xero's id, number and status, and
    Xero's answer in the ledger (bridge.xero.sending.attempt.mark_done, as a copy does)."""
    copy = XeroCopy(tenant_id=tenant_id, attempt_key=f"test-{uuid.uuid4()}", action="create",
                    state="pending", **document)
    db.session.add(copy)
    db.session.flush()
    mark_done(copy, xero_doc)
    db.session.commit()
    return copy


@dataclass
class Org:
    """Demo Company (NZ) in the sandbox, connected to Bridge, payment sync on."""

    tenant_id: str
    client: XeroClient
    sandbox: object

    def contact(self, name="Northwind Studio") -> str:
        return self.client.find_contact_by_name(name)["ContactID"]

    def xero_invoice(self, amount="100.00") -> dict:
        """An invoice made in Xero only (Bridge did not copy it)."""
        return self.client.create_invoices([sale(self.contact(), amount)])[0]

    def invoice(self, amount="100.00"):
        """A Bridge invoice of `amount`, copied to Xero: (our Invoice, Xero's invoice)."""
        xero_doc = self.xero_invoice(amount)
        company = db.session.scalar(select(Company).where(Company.name == "Northwind")) \
            or factories.company("Northwind", currency="NZD")
        invoice = factories.invoice(company, lines=[("1", amount)])
        done_copy(xero_doc, self.tenant_id, invoice_id=invoice.id)
        return invoice, xero_doc

    def expense(self, amount="480.00"):
        """A budget expense of `amount`, sent to Xero as a bill: (our Expense, Xero's bill)."""
        xero_doc = self.client.create_invoices([bill(self.contact("City Print Co"), amount)])[0]
        budget = Budget(name="Campaign", currency="NZD")
        expense = Expense(budget=budget, description="Flyers", amount=Decimal(amount), currency="NZD",
                          date=dt.date(2026, 3, 2))
        db.session.add(expense)
        db.session.commit()
        done_copy(xero_doc, self.tenant_id, expense_id=expense.id)
        return expense, xero_doc

    def pay(self, xero_doc: dict, amount: str, reference: str = "") -> dict:
        """A payment recorded "as if in the Xero UI"."""
        return self.sandbox.control(f"organisations/{self.tenant_id}/payments",
                                    invoice=xero_doc["InvoiceID"], amount=amount, reference=reference)

    def remove(self, payment: dict) -> None:
        """Remove & Redo's first half: the payment is deleted in Xero."""
        answer = requests.delete(f"{self.sandbox.url}/_sandbox/organisations/{self.tenant_id}"
                                 f"/payments/{payment['PaymentID']}", timeout=10)
        answer.raise_for_status()

    def credit(self, xero_doc: dict, amount: str) -> None:
        """A credit note for the same contact, allocated to the invoice in Xero."""
        note = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": xero_doc["Contact"]["ContactID"]},
                "Status": "AUTHORISED", "Date": dt.date(2026, 3, 5), "LineAmountTypes": "Exclusive",
                "LineItems": [{"Description": "Goodwill", "Quantity": Decimal("1"),
                               "UnitAmount": Decimal(amount), "AccountCode": "200", "TaxType": "NONE"}]}
        answer = self.client._api("PUT", "/CreditNotes", payload={"CreditNotes": [note]})
        note_id = answer.json()["CreditNotes"][0]["CreditNoteID"]
        self.client._api("PUT", f"/CreditNotes/{note_id}/Allocations", payload={"Allocations": [
            {"Invoice": {"InvoiceID": xero_doc["InvoiceID"]}, "Amount": Decimal(amount),
             "Date": dt.date(2026, 3, 5)}]})

    def sync(self, **kwargs):
        """One run of the service, as the button runs it."""
        db.session.expire_all()
        result = sync_organisation(self.tenant_id, trigger="test", client=self.client, **kwargs)
        db.session.expire_all()
        return result

    def state(self) -> XeroSyncState:
        db.session.expire_all()
        return db.session.scalar(select(XeroSyncState).where(XeroSyncState.tenant_id == self.tenant_id))


def turn_sync_on(tenant_id: str, on: bool = True, since=None) -> XeroSettings:
    """The settings the wizard saves with the payment toggle on (or off)."""
    settings = db.session.get(XeroSettings, 1) or XeroSettings(id=1)
    settings.tenant_id = tenant_id
    settings.sync_payments = on
    settings.payments_synced_since = (since or utcnow()) if on else None
    settings.default_revenue_account_code = "200"
    settings.configured_at = settings.configured_at or utcnow()
    db.session.add(settings)
    db.session.commit()
    return settings


@pytest.fixture
def org(nz, xero_sandbox) -> Org:
    """Demo Company (NZ), connected through the consent screen, with payment sync on now."""
    turn_sync_on(nz.tenant_id)
    return Org(nz.tenant_id, nz, xero_sandbox)


def xero_payments(document) -> list[Payment]:
    """A document's payments from Xero, oldest first, deleted ones included."""
    db.session.expire_all()
    return [p for p in document.payments if p.source == "xero"]


def writes_to_xero(sandbox) -> list[dict]:
    """Accounting API calls that could change something in Xero."""
    return [r for r in sandbox_requests(sandbox, path_prefix="/api.xro/2.0")
            if r["method"] in ("PUT", "POST", "DELETE", "PATCH")]
