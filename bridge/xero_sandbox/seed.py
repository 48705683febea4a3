"""Demo data: two organisations with a realistic chart, tax rates, contacts and documents.

Tenant IDs are fixed so a demo configuration stays valid across restarts and resets.
Documents are created through the same code paths as API calls, so seed data obeys
the same rules (numbering, totals, payments).
"""
import datetime as dt
from decimal import Decimal

from bridge.xero_sandbox import clock
from bridge.xero_sandbox.config import AU_TENANT, NZ_TENANT, SUGGESTED_TENANT  # noqa: F401  (known here too)
from bridge.xero_sandbox.db import (
    Account, Allocation, Attachment, Contact, HistoryRecord, IdempotencyRecord, Invoice, LineItem,
    Organisation, Payment, TaxRate, db, new_id,
)
from bridge.xero_sandbox.db_settings import BrandingTheme, TrackingCategory, TrackingOption, stable_id


ORGANISATIONS = {
    "nz": dict(id=NZ_TENANT, name="Demo Company (NZ)", legal_name="Demo Company (NZ) Limited",
               short_code="!SbxNZ", country_code="NZ", version="NZ", timezone="NEWZEALANDSTANDARDTIME",
               base_currency="NZD", currencies="NZD,USD,AUD,EUR,GBP", tax_number="111-222-333"),
    "au": dict(id=AU_TENANT, name="Demo Company (AU)", legal_name="Demo Company (AU) Pty Ltd",
               short_code="!SbxAU", country_code="AU", version="AU", timezone="AUSEASTERNSTANDARDTIME",
               base_currency="AUD", currencies="AUD,NZD", tax_number="12 345 678 901"),
}

# (code, name, type, tax type, extras)
_COMMON_ACCOUNTS = [
    ("090", "Business Bank Account", "BANK", "NONE", {"bank_account_number": "0313-0000-0000-001"}),
    ("091", "Business Savings Account", "BANK", "NONE", {"bank_account_number": "0313-0000-0000-002"}),
    ("200", "Sales", "REVENUE", "{out}", {}),
    ("220", "Design Services", "SALES", "{out}", {}),
    ("260", "Other Revenue", "OTHERINCOME", "{out}", {}),
    ("270", "Interest Income", "OTHERINCOME", "NONE", {}),
    ("210", "Consulting (discontinued)", "REVENUE", "{out}", {"status": "ARCHIVED"}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "{inp}", {}),
    ("400", "Advertising", "OVERHEADS", "{inp}", {}),
    ("404", "Bank Fees", "OVERHEADS", "NONE", {}),
    ("429", "General Expenses", "OVERHEADS", "{inp}", {}),
    ("453", "Office Expenses", "OVERHEADS", "{inp}", {}),
    ("463", "IT Software and Consumables", "EXPENSE", "{inp}", {}),
    ("493", "Travel - National", "EXPENSE", "{inp}", {}),
    ("710", "Office Equipment", "FIXED", "{inp}", {}),
    ("610", "Accounts Receivable", "CURRENT", "NONE", {"system_account": "DEBTORS"}),
    ("800", "Accounts Payable", "CURRLIAB", "NONE", {"system_account": "CREDITORS"}),
    ("820", "GST", "CURRLIAB", "NONE", {"system_account": "GST"}),
    ("860", "Rounding", "CURRLIAB", "NONE", {"system_account": "ROUNDING"}),
    ("970", "Owner A Funds Introduced", "EQUITY", "NONE", {"enable_payments": True}),
]
_TAX_CODES = {"nz": {"out": "OUTPUT2", "inp": "INPUT2"}, "au": {"out": "OUTPUT", "inp": "INPUT"}}

# (TaxType, name, report type, rate, status, revenue, expenses, assets, liabilities, equity)
TAX_RATES = {
    "nz": [
        ("OUTPUT2", "15% GST on Income", "OUTPUT", "15", "ACTIVE", 1, 0, 1, 1, 1),
        ("INPUT2", "15% GST on Expenses", "INPUT", "15", "ACTIVE", 0, 1, 1, 1, 1),
        ("NONE", "No GST", "NONE", "0", "ACTIVE", 1, 1, 1, 1, 1),
        ("ZERORATED", "Zero Rated", "OUTPUT", "0", "ACTIVE", 1, 0, 0, 1, 0),
        ("GSTONIMPORTS", "GST on Imports", "GSTONIMPORTS", "0", "ACTIVE", 0, 0, 0, 1, 0),
        ("TAX001", "Local Levy 5%", "OUTPUT", "5", "ACTIVE", 1, 1, 1, 1, 1),
        ("TAX002", "Old GST 12.5%", "OUTPUT", "12.5", "DELETED", 1, 1, 1, 1, 1),
    ],
    "au": [
        ("OUTPUT", "GST on Income", "OUTPUT", "10", "ACTIVE", 1, 0, 1, 1, 1),
        ("INPUT", "GST on Expenses", "INPUT", "10", "ACTIVE", 0, 1, 1, 1, 1),
        ("NONE", "No GST", "NONE", "0", "ACTIVE", 1, 1, 1, 1, 1),
        ("EXEMPTOUTPUT", "GST Free Income", "EXEMPTOUTPUT", "0", "ACTIVE", 1, 0, 1, 1, 1),
        ("EXEMPTEXPENSES", "GST Free Expenses", "EXEMPTEXPENSES", "0", "ACTIVE", 0, 1, 1, 1, 1),
        ("BASEXCLUDED", "BAS Excluded", "BASEXCLUDED", "0", "ACTIVE", 1, 1, 1, 1, 1),
        ("TAX001", "Old Levy 3%", "OUTPUT", "3", "DELETED", 1, 1, 1, 1, 1),
    ],
}

# (name, email, status)
CONTACTS = {
    "nz": [("Northwind Studio", "accounts@northwind.example", "ACTIVE"),
           ("Acme Ltd", "ap@acme.example", "ACTIVE"),
           ("Ridgeway University", "finance@ridgeway.example", "ACTIVE"),
           ("Bayside Wholesale", "sales@bayside.example", "ACTIVE"),
           ("City Print Co", "hello@cityprint.example", "ACTIVE"),
           ("Old Client Ltd", "old@client.example", "ARCHIVED")],
    "au": [("Koala Creative", "accounts@koala.example", "ACTIVE"),
           ("Harbour Supplies", "sales@harbour.example", "ACTIVE"),
           ("Archived Pty Ltd", "old@archived.example", "ARCHIVED")],
}

# Tracking categories (at most two active ones, as in Xero) and their options, with one
# archived option so includeArchived and the "archived option" refusal can be seen.
TRACKING = [
    ("Region", [("North", "ACTIVE"), ("South", "ACTIVE"), ("International", "ACTIVE"), ("Central", "ARCHIVED")]),
    ("Department", [("Design", "ACTIVE"), ("Development", "ACTIVE"), ("Marketing", "ACTIVE")]),
]
# Branding themes: (name, SortOrder); SortOrder 0 is the default theme.
THEMES = [("Standard", 0), ("Agency", 1)]


def seed_all() -> None:
    """Create every demo organisation that does not exist yet."""
    for key in ORGANISATIONS:
        if db.session.get(Organisation, ORGANISATIONS[key]["id"]) is None:
            org = Organisation(seed_key=key, created_utc=clock.now(), **ORGANISATIONS[key])
            db.session.add(org)
            db.session.commit()
            _fill(org)
    for org in db.session.scalars(db.select(Organisation)):
        _settings(org)  # databases made before tracking and themes existed get them too
    db.session.commit()


def reset(org: Organisation) -> None:
    """Delete an organisation's data and seed it again (connections are kept)."""
    doc_ids = db.select(Invoice.id).where(Invoice.org_id == org.id)
    for model in (Payment, Allocation, HistoryRecord):
        db.session.execute(db.delete(model).where(model.org_id == org.id))
    db.session.execute(db.delete(LineItem).where(LineItem.invoice_id.in_(doc_ids)))
    db.session.execute(db.delete(Attachment).where(Attachment.org_id == org.id))
    category_ids = db.select(TrackingCategory.id).where(TrackingCategory.org_id == org.id)
    db.session.execute(db.delete(TrackingOption).where(TrackingOption.category_id.in_(category_ids)))
    for model in (TrackingCategory, BrandingTheme):
        db.session.execute(db.delete(model).where(model.org_id == org.id))
    for model in (Invoice, Contact, Account, TaxRate):
        db.session.execute(db.delete(model).where(model.org_id == org.id))
    db.session.execute(db.delete(IdempotencyRecord).where(IdempotencyRecord.tenant_id == org.id))
    org.next_invoice_number = org.next_credit_note_number = 1
    db.session.commit()
    _fill(org)


def _fill(org: Organisation) -> None:
    """Reference data, contacts and a few documents for one organisation."""
    now = clock.now()
    codes = _TAX_CODES[org.seed_key]
    for code, name, kind, tax, extra in _COMMON_ACCOUNTS:
        values = {"status": "ACTIVE", "enable_payments": False, **extra}
        if kind == "BANK":
            values.update(bank_account_type="BANK", currency_code=org.base_currency)
        db.session.add(Account(id=new_id(), org_id=org.id, code=code, name=name, type=kind,
                               tax_type=tax.format(**codes), description="", updated_utc=now, **values))
    for tax_type, name, report, rate, status, *flags in TAX_RATES[org.seed_key]:
        db.session.add(TaxRate(org_id=org.id, tax_type=tax_type, name=name, report_tax_type=report,
                               rate=Decimal(rate), status=status, can_revenue=bool(flags[0]),
                               can_expenses=bool(flags[1]), can_assets=bool(flags[2]),
                               can_liabilities=bool(flags[3]), can_equity=bool(flags[4])))
    for name, email, status in CONTACTS[org.seed_key]:
        db.session.add(Contact(id=new_id(), org_id=org.id, name=name, email=email, status=status,
                               extra={}, updated_utc=now))
    _settings(org)
    db.session.commit()
    _documents(org, codes)


def _settings(org: Organisation) -> None:
    """The tracking categories and branding themes, each added once, with stable ids."""
    for name, options in TRACKING:
        category_id = stable_id(org.id, "tracking-category", name)
        if db.session.get(TrackingCategory, category_id) is not None:
            continue
        db.session.add(TrackingCategory(id=category_id, org_id=org.id, name=name, status="ACTIVE", options=[
            TrackingOption(id=stable_id(org.id, "tracking-option", name, option), position=position,
                           name=option, status=status)
            for position, (option, status) in enumerate(options)]))
    for name, sort_order in THEMES:
        theme_id = stable_id(org.id, "branding-theme", name)
        if db.session.get(BrandingTheme, theme_id) is None:
            db.session.add(BrandingTheme(id=theme_id, org_id=org.id, name=name, sort_order=sort_order,
                                         created_utc=org.created_utc + dt.timedelta(minutes=sort_order)))


def _documents(org: Organisation, codes: dict) -> None:
    """Sales invoices and bills in several states, made through the API's own code."""
    from bridge.xero_sandbox.accounting import documents, payments, validation

    contacts = {c.name: c for c in db.session.scalars(db.select(Contact).filter_by(org_id=org.id))}
    customers = [n for n, _e, s in CONTACTS[org.seed_key] if s == "ACTIVE"]
    today = clock.now().date()
    bank = next(a for a in validation.accounts(org.id) if a.code == "090")

    def make(kind, who, days_ago, status, lines):
        """Create one document through the API's own code."""
        payload = {
            "Type": kind, "Contact": {"ContactID": contacts[who].id}, "Status": status,
            "Date": (today - dt.timedelta(days=days_ago)).isoformat(),
            "DueDate": (today - dt.timedelta(days=days_ago - 30)).isoformat(),
            "LineItems": [{"Description": d, "Quantity": q, "UnitAmount": u, "AccountCode": a,
                           "TaxType": codes["out" if kind == "ACCREC" else "inp"]} for d, q, u, a in lines],
        }
        if kind == "ACCPAY":
            payload["InvoiceNumber"] = f"BILL-{days_ago:03d}"
        outcome = documents.create(org, payload, ("ACCREC", "ACCPAY"), 2, "sandbox-seed")
        assert not outcome.errors, outcome.errors
        return outcome.document

    def pay(invoice, amount, days_ago):
        """Record one payment through the API's own code."""
        payments.record_payment(org, invoice, bank, Decimal(amount),
                                today - dt.timedelta(days=days_ago), "Seed payment", "control")

    make("ACCREC", customers[0], 40, "AUTHORISED", [("Brand workshop", 1, "1500.00", "200")])
    partly = make("ACCREC", customers[1], 25, "AUTHORISED",
                  [("Website design", 1, "2400.00", "220"), ("Hosting (12 months)", 12, "25.00", "200")])
    pay(partly, "1000.00", 10)
    paid = make("ACCREC", customers[0], 60, "AUTHORISED", [("Campaign design", 2, "350.00", "220")])
    pay(paid, str(paid.total), 30)
    make("ACCREC", customers[2] if len(customers) > 2 else customers[0], 2, "DRAFT",
         [("Copywriting", 5, "120.00", "200")])
    suppliers = [n for n in customers if n in ("Bayside Wholesale", "City Print Co", "Harbour Supplies")]
    for index, who in enumerate(suppliers):
        bill = make("ACCPAY", who, 15 + index, "AUTHORISED", [("Printing", 1, "480.00", "453")])
        if index == 0:
            pay(bill, str(bill.total), 5)
