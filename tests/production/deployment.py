"""A production-like Bridge to test: its database migrated, Demo Company (NZ) connected in the
sandbox process, the setup saved (payment sync on, invoices AUTHORISED), Xero's reference
data cached, people who can log in, and invoices to copy.

Done in this process on the same database the gunicorn workers then serve.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask_migrate import upgrade

from bridge import create_app
from bridge.extensions import db
from bridge.billing.service import InvoiceData, LineData, create_invoice
from bridge.xero.settings import reference
from bridge.xero.settings import setup
from bridge.models import Company, ServiceType, TaxRate, User
from bridge.xero.api.client import XeroClient
from bridge.xero_sandbox.seed import NZ_TENANT
from tests.conftest import PROJECT_ROOT
from tests.xero.conftest import connect

PASSWORD = "load-test-password-1"
GST = "OUTPUT2"


@dataclass(frozen=True)
class Workspace:
    tenant_id: str
    emails: list[str]
    # Per person, the invoices that person will copy to Xero (nobody else copies them).
    invoices: list[list[int]]


def bridge_app(database_url: str, sandbox, token_key: str):
    """An app on the database, talking to the sandbox, with the workers' token key."""
    return create_app({
        "TESTING": True, "SECRET_KEY": "load-test", "SQLALCHEMY_DATABASE_URI": database_url,
        "XERO_TOKEN_KEY": token_key, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **sandbox.bridge_config()})


def prepare(app, people: int, invoices_each: int) -> Workspace:
    """Migrate, connect Xero, set up, and make `people` users with their invoices."""
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        tokens, (tenant,) = connect()
        XeroClient().save_connection(tokens, tenant)
        setup.adopt(tenant.tenant_id)
        db.session.commit()
        with XeroClient(NZ_TENANT) as client:
            contact = client.find_contact_by_name("Northwind Studio")
        company = Company(name="Harbour Lights Ltd", default_currency="NZD", email="ap@harbour.example",
                          xero_contact_id=contact["ContactID"], xero_contact_name="Northwind Studio")
        design, gst = ServiceType(name="Design"), TaxRate(name="GST 15%", percentage=Decimal("15"))
        emails = [f"person{n}@example.com" for n in range(people)]
        users = [User(email=email, name=f"Person {n}", role="member") for n, email in enumerate(emails)]
        for user in users:
            user.set_password(PASSWORD)
        db.session.add_all([company, design, gst, *users])
        db.session.commit()
        reference.refresh(NZ_TENANT)
        setup.save(setup.Setup(initial_status="AUTHORISED", sync_payments=True,
                               default_revenue_account_code="200", revenue_accounts={design.id: "220"},
                               tax_types={gst.id: GST}), users[0].id)
        invoices = [[new_invoice(company.id, design.id, gst.id, n * invoices_each + i)
                     for i in range(invoices_each)] for n in range(people)]
        db.session.remove()
        db.engine.dispose()
    return Workspace(NZ_TENANT, emails, invoices)


def new_invoice(company_id: int, design_id: int, gst_id: int, n: int) -> int:
    """A two-line invoice, its amounts varying with n."""
    lines = (LineData("Design sprint", Decimal("2"), Decimal(100 + n % 50),
                      service_type_id=design_id, tax_rate_id=gst_id),
             LineData("Hosting", Decimal("1"), Decimal("45.50"), tax_rate_id=gst_id))
    return create_invoice(InvoiceData(client_id=company_id, subject=f"Project {n}", lines=lines,
                                      issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1))).id
