"""Money, dates and currencies as Babel writes them, for the workspace's locale (default en)."""
import datetime as dt
from decimal import Decimal

import pytest

from bridge.config import from_environment
from bridge.currencies import currency_options, iso_currencies
from bridge.extensions import db
from bridge.formatting import day, moment, money, number, percent
from bridge.billing.service import LineData
from bridge.models import WorkspaceSettings
from tests.invoicing import factories

WHEN = dt.datetime(2026, 11, 25, 14, 5, tzinfo=dt.timezone.utc)


def set_locale(code: str) -> None:
    db.session.merge(WorkspaceSettings(id=1, locale=code))
    db.session.commit()


@pytest.mark.parametrize("locale, amount, plain, date, time", [
    ("en", "€1,234.50", "1,234.50", "Nov 25, 2026", "Nov 25, 2026, 2:05\u202fPM UTC"),
    ("en_GB", "€1,234.50", "1,234.50", "25 Nov 2026", "25 Nov 2026, 14:05 UTC"),
    ("de_DE", "1.234,50\xa0€", "1.234,50", "25.11.2026", "25.11.2026, 14:05 UTC"),
])
def test_filters_follow_the_workspace_locale(app, locale, amount, plain, date, time):
    set_locale(locale)
    with app.test_request_context():
        assert money(Decimal("1234.5"), "EUR") == amount
        assert money(Decimal("1234.5")) == plain
        assert day(WHEN.date()) == date
        assert moment(WHEN) == time


def test_the_default_is_en_and_yen_has_no_cents(app):
    with app.test_request_context():
        assert money(Decimal("1234"), "JPY") == "¥1,234"
        assert money(None) == "" and day(None) == "" and moment(None) == ""


def test_an_unknown_stored_locale_falls_back_to_en(app):
    set_locale("xx_NOPE")
    with app.test_request_context():
        assert day(WHEN.date()) == "Nov 25, 2026"


def test_currencies_are_babels_iso_list_in_use_today():
    codes = iso_currencies()
    assert {"EUR", "USD", "GBP", "NZD", "AUD", "CHF", "JPY", "XAF"} <= set(codes)
    assert not {"XYZ", "ZZZ", "DEM", "XXX"} & set(codes)


def test_a_stored_code_that_is_not_iso_stays_visible_in_the_select():
    options = currency_options("XYZ")
    assert (options[-1].value, options[-1].label) == ("XYZ", "XYZ")
    assert next(o.label for o in options if o.value == "CHF") == "CHF - Swiss Franc"


def test_the_invoice_table_writes_amounts_in_the_locale(app, client, auth):
    factories.invoice(factories.company("Acme GmbH", "EUR"), "Website", dt.date(2026, 3, 1),
                      lines=[LineData("Design", Decimal("1"), Decimal("1234.5"))])
    set_locale("de_DE")
    auth.login()
    page = client.get("/").get_data(as_text=True)
    assert "1.234,50\xa0€" in page and "01.03.2026" in page


def test_quantities_and_percentages_follow_the_locale(app):
    set_locale("de_DE")
    with app.test_request_context():
        assert (number(Decimal("7.5000")), number(Decimal("1200")), percent(Decimal("12.5"))) == ("7,5", "1.200", "12,5%")


def test_a_base_currency_that_is_not_iso_stops_bridge_at_start_up(monkeypatch):
    monkeypatch.setenv("BRIDGE_BASE_CURRENCY", "XYZ")
    with pytest.raises(ValueError, match="BRIDGE_BASE_CURRENCY=XYZ is not an ISO 4217 currency"):
        from_environment()
    monkeypatch.setenv("BRIDGE_BASE_CURRENCY", "gbp")
    assert from_environment()["BRIDGE_BASE_CURRENCY"] == "GBP"
