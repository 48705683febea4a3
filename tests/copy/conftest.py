"""Copy to Xero against the Xero sandbox over real HTTP: an organisation connected through
the consent screen, the setup saved, Xero's accounts and tax rates cached, and a Bridge
invoice ready to copy (NZD, two lines at GST 15%, one with a mapped service type)."""
import datetime as dt
import functools
import re
from contextlib import contextmanager
from decimal import Decimal
from uuid import uuid4

import pytest
import requests
from sqlalchemy import delete, select

from bridge.extensions import db
from bridge.billing.service import InvoiceData, LineData, create_invoice
from bridge.xero.settings import reference
from bridge.xero.settings import setup
from bridge.xero.settings.setup import Setup
from bridge.models import Company, CustomField, CustomFieldValue, ServiceType, TaxRate, XeroCopy, XeroCurrency
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.marketplace.conftest import NZ, fresh_budget, sandbox, xero  # noqa: F401  (fixtures)
from tests.workspace.conftest import admin, member  # noqa: F401  (fixtures)

GST = "OUTPUT2"
COPY_FIELDS = {"tax_type": GST}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Retries and rate-limit waits in the copy service do not sleep (they are counted)."""
    sleeps = []
    for module in ("bridge.xero.sending.attempt", "bridge.xero.sending.documents", "bridge.xero.sending.contacts",
                   "bridge.xero.sending.attachments"):
        monkeypatch.setattr(f"{module}.XeroClient", functools.partial(XeroClient, sleep=sleeps.append))
    return sleeps


@pytest.fixture
def workspace(app):
    """A client, a service type mapped to account 220, GST 15% mapped to OUTPUT2, a note field."""
    client = Company(name="Harbour Lights Ltd", email="ap@harbour.example", tax_number="NZ-123",
                     address="1 Quay St\nAuckland 1010", default_currency="NZD")
    design = ServiceType(name="Design")
    gst = TaxRate(name="GST 15%", percentage=Decimal("15"))
    note = CustomField(name="Private note for the accountant", field_type="text")
    db.session.add_all([client, design, gst, note])
    db.session.commit()
    return {"client": client, "design": design, "gst": gst, "note": note}


def configure(**answers) -> None:
    """Save the Xero settings as the wizard would (defaults: Bridge numbers, Draft, no note)."""
    workspace = {"design": db.session.scalar(select(ServiceType).where(ServiceType.name == "Design")),
                 "gst": db.session.scalar(select(TaxRate).where(TaxRate.name == "GST 15%"))}
    values = dict(invoice_numbers_by="bridge", pdfs_by="bridge", initial_status="DRAFT",
                  reference_from="subject", default_revenue_account_code="200",
                  revenue_accounts={workspace["design"].id: "220"} if workspace["design"] else {},
                  tax_types={workspace["gst"].id: GST} if workspace["gst"] else {})
    values.update(answers)
    setup.save(Setup(**values), None)


@pytest.fixture
def connected(xero, workspace):
    """Demo Company (NZ) connected through the consent screen, set up, reference data cached."""
    xero.connect(tick=[NZ])
    reference.refresh(NZ_TENANT)
    configure()
    return xero


def make_invoice(workspace, **header) -> object:
    """An invoice of two lines: Design 2 x 150.00 (service type -> 220) and Hosting 1 x 45.50."""
    lines = header.pop("lines", None) or (
        LineData("Design sprint", Decimal("2"), Decimal("150.00"),
                 service_type_id=workspace["design"].id, tax_rate_id=workspace["gst"].id),
        LineData("Hosting, March", Decimal("1"), Decimal("45.50"), tax_rate_id=workspace["gst"].id),
    )
    data = InvoiceData(client_id=header.pop("client_id", workspace["client"].id),
                       subject=header.pop("subject", "Website refresh"),
                       issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=lines,
                       purchase_order_number=header.pop("purchase_order_number", "PO-77"), **header)
    return create_invoice(data)


@pytest.fixture
def invoice(workspace):
    return make_invoice(workspace)


def northwind() -> str:
    """The radio value of the seeded contact Northwind Studio (its ContactID|name)."""
    with XeroClient(NZ_TENANT) as client:
        contact = client.find_contact_by_name("Northwind Studio")
    return f"{contact['ContactID']}|Northwind Studio"


def post_copy(http, invoice, *, contact: str, key: str | None = None, action="create", hx=True, **fields):
    """Submit the modal as HTMX does; returns the response."""
    data = {"attempt_key": key or str(uuid4()), "action": action, "contact": contact,
            **COPY_FIELDS, **fields}
    headers = {"HX-Request": "true"} if hx else {}
    return http.post(f"/invoices/{invoice.id}/xero/copy", data=data, headers=headers)


def sandbox_invoices(contact_id: str | None = None) -> list[dict]:
    """The sales invoices Bridge made in the sandbox (their Url links back to Bridge), oldest first.

    Read through the sandbox's Accounting API; the seed's own invoices have no such link.
    """
    where = 'Type=="ACCREC"' + (f' AND Contact.ContactID==Guid("{contact_id}")' if contact_id else "")
    with XeroClient(NZ_TENANT) as client:
        return [i for i in client.get_invoices(where=where) if "xero_copy=" in (i.get("Url") or "")]


def recorded(sandbox, method: str, path: str) -> list[dict]:
    """Requests the sandbox answered with this method on exactly this API path."""
    entries = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=10,
                           params={"path_prefix": f"/api.xro/2.0{path}"}).json()["requests"]
    return [e for e in entries if e["method"] == method and e["path"] == f"/api.xro/2.0{path}"]


def copies() -> list[XeroCopy]:
    db.session.expire_all()
    return list(db.session.scalars(select(XeroCopy).order_by(XeroCopy.id)))


def forget_currencies() -> None:
    """The cache as a read before Bridge read currencies left it (accounts and tax rates only):
    nothing is refused for its currency, Xero's own answer decides."""
    db.session.execute(delete(XeroCurrency))
    db.session.commit()


def give_note(invoice, field: CustomField, value: str) -> None:
    db.session.add(CustomFieldValue(invoice_id=invoice.id, field_id=field.id, value=value))
    db.session.commit()


def text(response) -> str:
    """A response's HTML as text with tags removed and spaces collapsed (for assertions)."""
    import html

    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))).strip()


@contextmanager
def invoice_answers_lost(monkeypatch):
    """Inside the block Xero gets every invoice PUT, but its answer is lost (a retry must look
    the document up in Xero before sending again)."""
    original = requests.adapters.HTTPAdapter.send

    def lose(adapter, request, **kwargs):
        response = original(adapter, request, **kwargs)
        if request.method == "PUT" and "/Invoices?" in request.url:
            raise requests.ReadTimeout("answer lost")
        return response

    with monkeypatch.context() as patch:
        patch.setattr(requests.adapters.HTTPAdapter, "send", lose)
        yield
