"""The organisation's enabled currencies: GET /Currencies on a Xero-shaped answer (the spec's
own example), cached with the accounts and tax rates, and what Bridge says before sending a
document in a currency Xero would refuse. Every request sent is checked against the spec
(the xero_http fixture)."""
from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroCurrency
from bridge.xero.api.ratelimit import call_counts
from bridge.xero.settings import reference
from tests.xero.payloads import API, TENANT_ID, envelope

# The spec's example answer of getCurrencies, with a second currency.
CURRENCIES = envelope("Currencies", [{"Code": "NZD", "Description": "New Zealand Dollar"},
                                     {"Code": "USD", "Description": "United States Dollar"}])


def reference_data(xero_http, currencies=CURRENCIES) -> None:
    xero_http.get(f"{API}/Accounts", json=envelope("Accounts", [
        {"AccountID": "7d05a53d-613d-4eb2-a2fc-dcb6adb80b80", "Code": "200", "Name": "Sales",
         "Type": "REVENUE", "Class": "REVENUE", "Status": "ACTIVE"}]))
    xero_http.get(f"{API}/TaxRates", json=envelope("TaxRates", [
        {"Name": "15% GST on Income", "TaxType": "OUTPUT2", "CanApplyToRevenue": True,
         "EffectiveRate": 15.0, "Status": "ACTIVE"}]))
    xero_http.get(f"{API}/Currencies", json=currencies)
    xero_http.get(f"{API}/TrackingCategories", json=envelope("TrackingCategories", []))
    xero_http.get(f"{API}/BrandingThemes", json=envelope("BrandingThemes", []))


def cached() -> dict[str, str]:
    return dict(db.session.execute(select(XeroCurrency.code, XeroCurrency.description)
                                   .where(XeroCurrency.tenant_id == TENANT_ID)).all())


def test_get_currencies_reads_code_and_description(xero, xero_http):
    xero_http.get(f"{API}/Currencies", json=CURRENCIES)
    assert xero.get_currencies() == [{"Code": "NZD", "Description": "New Zealand Dollar"},
                                     {"Code": "USD", "Description": "United States Dollar"}]
    (call,) = xero_http.calls
    assert call.request.url == f"{API}/Currencies"  # no where/order: the whole list
    assert call.request.headers["xero-tenant-id"] == TENANT_ID
    assert call_counts() == {(TENANT_ID, "GET /Currencies"): 1}


def test_refresh_caches_the_currencies_with_one_more_call(xero_http, connection):
    reference_data(xero_http)
    reference.refresh(TENANT_ID)
    assert cached() == {"NZD": "New Zealand Dollar", "USD": "United States Dollar"}
    assert call_counts() == {(TENANT_ID, "GET /Accounts"): 1, (TENANT_ID, "GET /TaxRates"): 1,
                             (TENANT_ID, "GET /Currencies"): 1, (TENANT_ID, "GET /TrackingCategories"): 1,
                             (TENANT_ID, "GET /BrandingThemes"): 1}
    # Refreshing replaces the list: a currency no longer enabled in Xero is no longer cached.
    xero_http.replace("GET", f"{API}/Currencies", json=envelope("Currencies", [
        {"Code": "NZD", "Description": "New Zealand Dollar"}]))
    reference.refresh(TENANT_ID)
    assert cached() == {"NZD": "New Zealand Dollar"}
    # The organisation serves no entity any more: its cache goes.
    reference.forget(TENANT_ID)
    assert cached() == {}


def test_a_currency_not_enabled_is_named_with_how_to_enable_it(xero_http, connection):
    reference_data(xero_http)
    reference.refresh(TENANT_ID)
    assert reference.currency_problem(TENANT_ID, "NZD") is None
    assert reference.currency_problem(TENANT_ID, "usd") is None
    problem = reference.currency_problem(TENANT_ID, "EUR")
    assert "has not enabled EUR" in problem and "uses NZD, USD" in problem
    assert "Settings > Currencies" in problem and "Refresh from Xero" in problem


def test_unknown_currencies_refuse_nothing(app):
    """A cache read before Bridge read currencies (no rows) says nothing and blocks nothing."""
    assert reference.currency_problem(TENANT_ID, "EUR") is None
