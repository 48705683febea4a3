"""Organisation, Accounts, TaxRates and Currencies: the reference data a client maps against."""
from flask import g

from bridge.xero_sandbox import wire
from bridge.xero_sandbox.accounting import bp, query, validation
from bridge.xero_sandbox.accounting.serialize import account_json, tax_rate_json
from bridge.xero_sandbox.db import Account, Organisation, TaxRate, db


def organisation_json(org: Organisation) -> dict:
    """The organisation as GET /Organisation returns it."""
    return {
        "OrganisationID": org.id, "Name": org.name, "LegalName": org.legal_name, "PaysTax": True,
        "Version": org.version, "OrganisationType": "COMPANY", "BaseCurrency": org.base_currency,
        "CountryCode": org.country_code, "IsDemoCompany": True, "OrganisationStatus": "ACTIVE",
        "TaxNumber": org.tax_number, "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "PAYMENTS" if org.country_code == "NZ" else "ACCRUALS",
        "SalesTaxPeriod": "TWOMONTHS" if org.country_code == "NZ" else "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": wire.msdate_plain(org.created_utc), "OrganisationEntityType": "COMPANY",
        "Timezone": org.timezone, "ShortCode": org.short_code, "Edition": "BUSINESS",
        "Class": "DEMO", "Addresses": [], "Phones": [], "ExternalLinks": [], "PaymentTerms": {},
    }


def account_view(account: Account) -> dict:
    """Fields a `where`/`order` on Accounts may name."""
    return {
        "AccountID": account.id, "Code": account.code, "Name": account.name, "Type": account.type,
        "Class": account.account_class, "Status": account.status, "TaxType": account.tax_type,
        "EnablePaymentsToAccount": account.enable_payments, "SystemAccount": account.system_account,
        "BankAccountNumber": account.bank_account_number, "CurrencyCode": account.currency_code,
        "ReportingCode": account.reporting_code, "Description": account.description,
        "UpdatedDateUTC": account.updated_utc, "ShowInExpenseClaims": False,
    }


def tax_rate_view(rate: TaxRate) -> dict:
    """Fields a `where`/`order` on TaxRates may name."""
    return {
        "Name": rate.name, "TaxType": rate.tax_type, "Status": rate.status,
        "ReportTaxType": rate.report_tax_type, "EffectiveRate": rate.rate, "DisplayTaxRate": rate.rate,
        "CanApplyToRevenue": rate.can_revenue, "CanApplyToExpenses": rate.can_expenses,
        "CanApplyToAssets": rate.can_assets, "CanApplyToLiabilities": rate.can_liabilities,
        "CanApplyToEquity": rate.can_equity,
    }


@bp.get("/Organisation")
def organisation():
    """The connected organisation, as a one-element array."""
    return wire.ok("Organisations", [organisation_json(g.org)])


@bp.get("/Accounts")
def accounts():
    """The chart of accounts (no paging), with where/order/If-Modified-Since."""
    records = list(db.session.scalars(db.select(Account).filter_by(org_id=g.org.id)))
    records = query.since_filter(records, lambda a: a.updated_utc)
    records = query.where_filter(records, account_view, "Account")
    records = query.order(records, account_view, "Code ASC")
    return wire.ok("Accounts", [account_json(a) for a in records])


@bp.get("/Accounts/<account_id>")
def account(account_id):
    """One account."""
    found = db.session.get(Account, account_id.lower())
    if found is None or found.org_id != g.org.id:
        return wire.not_found()
    return wire.ok("Accounts", [account_json(found)])


@bp.get("/TaxRates")
def tax_rates():
    """The organisation's tax rates (no paging), with where/order."""
    records = list(db.session.scalars(db.select(TaxRate).filter_by(org_id=g.org.id)))
    records = query.where_filter(records, tax_rate_view, "TaxRate")
    records = query.order(records, tax_rate_view, "Name ASC")
    return wire.ok("TaxRates", [tax_rate_json(r) for r in records])


@bp.get("/TaxRates/<tax_type>")
def tax_rate(tax_type):
    """One tax rate by its TaxType code."""
    found = db.session.scalar(db.select(TaxRate).filter_by(org_id=g.org.id, tax_type=tax_type))
    if found is None:
        return wire.not_found()
    return wire.ok("TaxRates", [tax_rate_json(found)])


@bp.get("/Currencies")
def currencies():
    """The organisation's enabled currencies (no paging), with where/order.

    Shape from the spec (schemas Currencies/Currency: {Code, Description} only): the notes
    and the spec agree on it. The list is the one a document's CurrencyCode is checked against.
    """
    records = [{"Code": code, "Description": name}
               for code, name in validation.currencies(g.org).items()]
    records = query.where_filter(records, dict, "Currency")
    records = query.order(records, dict, "Code ASC")
    return wire.ok("Currencies", records)
