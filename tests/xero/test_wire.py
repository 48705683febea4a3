"""Xero's /Date()/ values, money as Decimal, and what the client sends as JSON."""
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.xero.api import wire
from bridge.xero.api.dates import (
    format_date,
    format_if_modified_since,
    parse_http_date,
    parse_iso_utc,
    parse_xero_date,
    parse_xero_datetime,
)

UTC = timezone.utc


@pytest.mark.parametrize("value, expected", [
    ("/Date(1518685950940+0000)/", datetime(2018, 2, 15, 9, 12, 30, 940000, tzinfo=UTC)),
    ("/Date(1552326816230)/", datetime(2019, 3, 11, 17, 53, 36, 230000, tzinfo=UTC)),
    # An offset only says where the value was displayed: the instant stays the same.
    ("/Date(1518685950940+1300)/", datetime(2018, 2, 15, 9, 12, 30, 940000, tzinfo=UTC)),
    ("/Date(1518685950940-0800)/", datetime(2018, 2, 15, 9, 12, 30, 940000, tzinfo=UTC)),
    ("/Date(0+0000)/", datetime(1970, 1, 1, tzinfo=UTC)),
    # Before 1970: negative milliseconds, exact to the millisecond.
    ("/Date(-1+0000)/", datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)),
    ("/Date(-86400000+0000)/", datetime(1969, 12, 31, tzinfo=UTC)),
    ("/Date(-2208988800000+0000)/", datetime(1900, 1, 1, tzinfo=UTC)),
])
def test_parse_xero_datetime(value, expected):
    parsed = parse_xero_datetime(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("value, expected", [
    # Midnight UTC is that calendar day, whatever the offset or the local zone.
    ("/Date(1539993600000+0000)/", date(2018, 10, 20)),
    ("/Date(1539993600000+1300)/", date(2018, 10, 20)),
    ("/Date(1539993600000-1000)/", date(2018, 10, 20)),
    ("/Date(-86400000+0000)/", date(1969, 12, 31)),
    ("/Date(-631152000000+0000)/", date(1950, 1, 1)),
])
def test_parse_xero_date_is_the_utc_day(value, expected):
    assert parse_xero_date(value) == expected


@pytest.mark.parametrize("value", ["2018-10-20", "/Date(abc)/", "/Date(1+00)/", "Date(1)"])
def test_parse_xero_datetime_refuses_other_strings(value):
    with pytest.raises(ValueError):
        parse_xero_datetime(value)


def test_parse_iso_utc_of_connections():
    assert parse_iso_utc("2019-12-07T18:46:19.5165400") == datetime(
        2019, 12, 7, 18, 46, 19, 516540, tzinfo=UTC)
    assert parse_iso_utc("2019-11-14T18:10:38Z") == datetime(2019, 11, 14, 18, 10, 38, tzinfo=UTC)
    assert parse_iso_utc("2020-02-06T12:17:43.202-08:00") == datetime(
        2020, 2, 6, 20, 17, 43, 202000, tzinfo=UTC)


def test_dates_sent_as_plain_days():
    assert format_date(date(2026, 3, 1)) == "2026-03-01"
    with pytest.raises(TypeError):
        format_date(datetime(2026, 3, 1, tzinfo=UTC))


def test_if_modified_since_is_utc_whole_seconds():
    from datetime import timedelta
    instant = datetime(2026, 3, 1, 12, 30, 5, 999999, tzinfo=timezone(timedelta(hours=13)))
    assert format_if_modified_since(instant) == "2026-02-28T23:30:05Z"
    with pytest.raises(ValueError):
        format_if_modified_since(datetime(2026, 3, 1))


def test_decode_money_as_decimal_and_dates_by_field():
    raw = (b'{"DateTimeUTC":"\\/Date(1552326816230)\\/","Invoices":[{"Total":1234567.89,'
           b'"AmountDue":0.10,"AmountPaid":500,"CurrencyRate":1.000000,"Quantity":3,'
           b'"Date":"\\/Date(1539993600000+0000)\\/","DueDate":"\\/Date(-86400000+0000)\\/",'
           b'"UpdatedDateUTC":"\\/Date(1518685950940+1300)\\/","InvoiceNumber":"INV-1",'
           b'"HasErrors":false,"LineItems":[{"UnitAmount":0.1,"LineAmount":0.30}],'
           b'"pagination":null}]}')
    body = wire.decode(raw)
    invoice = body["Invoices"][0]
    assert invoice["Total"] == Decimal("1234567.89") and isinstance(invoice["Total"], Decimal)
    assert str(invoice["AmountDue"]) == "0.10"
    assert invoice["AmountPaid"] == Decimal(500) and isinstance(invoice["AmountPaid"], Decimal)
    assert isinstance(invoice["Quantity"], Decimal)
    assert invoice["LineItems"][0]["UnitAmount"] * 3 == invoice["LineItems"][0]["LineAmount"]
    assert invoice["Date"] == date(2018, 10, 20) and type(invoice["Date"]) is date
    assert invoice["DueDate"] == date(1969, 12, 31)
    assert invoice["UpdatedDateUTC"] == datetime(2018, 2, 15, 9, 12, 30, 940000, tzinfo=UTC)
    assert body["DateTimeUTC"] == datetime(2019, 3, 11, 17, 53, 36, 230000, tzinfo=UTC)
    assert invoice["HasErrors"] is False and invoice["InvoiceNumber"] == "INV-1"


def test_decode_lists_and_bodies_that_are_not_objects():
    """Values in lists keep their key's meaning (money, days, instants); objects nested in
    lists are converted too; a date that is not Xero's /Date()/ stays text."""
    raw = (b'{"Total":[1,2.50],"Dates":["\\/Date(1539993600000+0000)\\/",[3]],'
           b'"ChangedUTC":["\\/Date(1552326816230)\\/"],"Notes":["/Date(soon)/"],'
           b'"Items":[{"Total":7,"Lines":[{"Quantity":2}]}],"Flag":true,"Count":4}')
    body = wire.decode(raw)
    assert body["Total"] == [Decimal(1), Decimal("2.50")] and all(isinstance(t, Decimal) for t in body["Total"])
    assert body["Dates"] == [date(2018, 10, 20), [3]]
    assert body["ChangedUTC"] == [datetime(2019, 3, 11, 17, 53, 36, 230000, tzinfo=UTC)]
    assert body["Notes"] == ["/Date(soon)/"]
    assert body["Items"][0]["Total"] == Decimal(7) and isinstance(body["Items"][0]["Lines"][0]["Quantity"], Decimal)
    assert body["Flag"] is True and type(body["Count"]) is int
    assert wire.decode(b'[{"Total":1}, "\\/Date(0+0000)\\/"]') == [{"Total": Decimal(1)}, date(1970, 1, 1)]


def test_encode_decimal_exactly_and_dates_as_days():
    body = {"Amount": Decimal("1500.00"), "Rate": Decimal("0.1"), "Date": date(2026, 1, 31),
            "ContactID": UUID("430fa14a-f945-44d3-9f97-5df5e28441b8"), "Name": "Zoë"}
    sent = wire.encode(body)
    assert json.loads(sent, parse_float=Decimal) == {
        "Amount": Decimal("1500.00"), "Rate": Decimal("0.1"), "Date": "2026-01-31",
        "ContactID": "430fa14a-f945-44d3-9f97-5df5e28441b8", "Name": "Zoë"}
    assert b'"Rate":0.1' in sent


@pytest.mark.parametrize("value", [Decimal("12345678901234567.89"), Decimal("NaN"),
                                   datetime(2026, 1, 1, tzinfo=UTC), object()])
def test_encode_refuses_what_it_cannot_send_exactly(value):
    with pytest.raises((TypeError, ValueError)):
        wire.encode({"Amount": value})


def test_encode_leaves_out_none():
    sent = json.loads(wire.encode({"Invoices": [{"Reference": None, "LineItems": [
        {"Description": "x", "TaxType": None}]}]}))
    assert sent == {"Invoices": [{"LineItems": [{"Description": "x"}]}]}


def test_http_date_headers_are_aware_utc():
    assert parse_http_date("Mon, 07 Dec 2026 14:19:44 GMT") == datetime(2026, 12, 7, 14, 19, 44, tzinfo=timezone.utc)
    assert parse_http_date("Mon, 07 Dec 2026 16:19:44 +0200") == datetime(2026, 12, 7, 14, 19, 44, tzinfo=timezone.utc)
    assert parse_http_date(None) is None and parse_http_date("yesterday") is None
    assert parse_http_date("Mon, 07 Dec 2026 14:19:44 -0000") is None  # no zone said: not trusted


@given(st.dictionaries(st.text(max_size=20), st.one_of(
    st.text(max_size=60), st.integers(), st.lists(st.text(max_size=20), max_size=3)), max_size=5))
def test_the_query_is_written_as_urlencode_writes_it(params):
    """bridge.xero.api.adapter.query_text is a faster urlencode(doseq=True): the same bytes."""
    from urllib.parse import urlencode

    from bridge.xero.api.adapter import query_text

    assert query_text(params) == urlencode(params, doseq=True)
