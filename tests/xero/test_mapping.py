"""bridge.xero.invoices.mapping, field by field, on real (unsaved) model objects."""
import datetime as dt
from decimal import Decimal

import pytest

from bridge.billing.totals import apply_totals
from bridge.models import Company, Invoice, InvoiceLine, TaxRate
from bridge.xero.invoices import mapping
from bridge.xero.api.wire import encode
from bridge.xero.sending import payloads

GST = TaxRate(name="GST", percentage=Decimal("15"))


def make_invoice(**overrides) -> Invoice:
    invoice = Invoice(
        number="2026-0042", subject="Brand refresh", purchase_order_number="PO-77",
        currency="NZD", issue_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 12, 2),
        lines=[
            InvoiceLine(description="Logo design", quantity=Decimal("3"), unit_price=Decimal("33.33"),
                        discount_percent=Decimal("0"), service_type_id=1, tax_rate=GST),
            InvoiceLine(description="Style guide", quantity=Decimal("1"), unit_price=Decimal("250.05"),
                        discount_percent=Decimal("10"), service_type_id=2, tax_rate=GST),
        ],
    )
    for key, value in overrides.items():
        setattr(invoice, key, value)
    apply_totals(invoice)
    return invoice


def choices(**overrides) -> mapping.CopyChoices:
    values = dict(contact_id="c0ffee00-0000-4000-8000-000000000001", tax_type="OUTPUT2",
                  tax_percent=Decimal("15"), status="AUTHORISED", default_account="200",
                  accounts={2: "210"}, send_number=True, reference_from="subject")
    values.update(overrides)
    return mapping.CopyChoices(**values)


def test_invoice_payload_header_fields():
    payload = mapping.invoice_payload(make_invoice(), choices())
    assert payload["Type"] == "ACCREC"
    assert payload["Contact"] == {"ContactID": "c0ffee00-0000-4000-8000-000000000001"}
    assert payload["Date"] == dt.date(2026, 11, 2) and payload["DueDate"] == dt.date(2026, 12, 2)
    assert payload["CurrencyCode"] == "NZD"
    assert payload["LineAmountTypes"] == "Exclusive"
    assert payload["Status"] == "AUTHORISED"
    assert payload["InvoiceNumber"] == "2026-0042"
    assert payload["Reference"] == "Brand refresh"


def test_reference_from_purchase_order_number_and_empty_reference_left_out():
    assert mapping.invoice_payload(make_invoice(), choices(reference_from="purchase_order_number"))["Reference"] == "PO-77"
    payload = mapping.invoice_payload(make_invoice(purchase_order_number=None), choices(reference_from="purchase_order_number"))
    assert payload["Reference"] is None
    assert b"Reference" not in encode(payload)


def test_number_left_out_when_xero_numbers():
    assert "InvoiceNumber" not in mapping.invoice_payload(make_invoice(), choices(send_number=False))


def test_line_items_quantity_amount_discount_account_and_tax():
    first, second = mapping.invoice_payload(make_invoice(), choices())["LineItems"]
    assert first == {"Description": "Logo design", "Quantity": Decimal("3"), "UnitAmount": Decimal("33.33"),
                     "AccountCode": "200", "TaxType": "OUTPUT2"}
    assert second["AccountCode"] == "210"  # the service type's mapping wins over the default
    assert second["DiscountRate"] == Decimal("10")
    assert "DiscountRate" not in first


def test_payload_encodes_to_exact_json_numbers_and_iso_dates():
    body = encode(mapping.invoice_payload(make_invoice(), choices()))
    assert b'"UnitAmount":33.33' in body and b'"Date":"2026-11-02"' in body


def test_preview_matches_bridge_totals_when_the_rate_is_the_same():
    preview = mapping.preview(make_invoice(), choices())
    assert [line.amounts.net for line in preview.lines] == [Decimal("99.99"), Decimal("225.05")]
    assert [line.amounts.tax for line in preview.lines] == [Decimal("15.00"), Decimal("33.76")]
    assert preview.totals.total == Decimal("373.80")
    assert not preview.differs and preview.difference == Decimal("0")


def test_preview_flags_a_different_xero_rate():
    preview = mapping.preview(make_invoice(), choices(tax_type="NONE", tax_percent=Decimal("0")))
    assert preview.differs
    assert preview.totals.total == Decimal("325.04")
    assert preview.difference == Decimal("-48.76")


def test_contact_payload_from_client():
    company = Company(name="Harbour Lights Ltd", email="ap@harbour.example", tax_number="NZ-1",
                      address="1 Quay St\nAuckland 1010", default_currency="NZD")
    assert payloads.contact_payload(company) == {
        "Name": "Harbour Lights Ltd", "EmailAddress": "ap@harbour.example", "TaxNumber": "NZ-1",
        "DefaultCurrency": "NZD",
        "Addresses": [{"AddressType": "POBOX", "AddressLine1": "1 Quay St", "AddressLine2": "Auckland 1010"}],
    }


def test_contact_payload_without_optional_fields():
    payload = payloads.contact_payload(Company(name="Solo", default_currency="EUR"))
    assert encode(payload) == b'{"Name":"Solo","DefaultCurrency":"EUR"}'


@pytest.mark.parametrize("text, expected", [
    ("", {}),
    ("a\n\n b \n", {"AddressLine1": "a", "AddressLine2": "b"}),
    ("1\n2\n3\n4\n5", {"AddressLine1": "1", "AddressLine2": "2", "AddressLine3": "3", "AddressLine4": "4, 5"}),
])
def test_address_lines(text, expected):
    assert payloads.address_lines(text) == expected


def test_note_text():
    assert payloads.note_text("Private note", "  Split in two ") == "Private note: Split in two"
    assert payloads.note_text("Private note", "  ") is None


def test_url_carries_the_attempt_key():
    assert payloads.attempt_url("https://bridge.example/invoices/7", "k-1") == \
        "https://bridge.example/invoices/7?xero_copy=k-1"
    assert payloads.attempt_url("https://bridge.example/invoices/7?a=1", "k-1") == \
        "https://bridge.example/invoices/7?a=1&xero_copy=k-1"
    payload = mapping.invoice_payload(make_invoice(), choices(url="https://bridge.example/invoices/7?xero_copy=k-1"))
    assert payload["Url"] == "https://bridge.example/invoices/7?xero_copy=k-1"
    assert "Url" not in mapping.invoice_payload(make_invoice(), choices())


def test_update_payload_keeps_xeros_number_link_and_status_and_its_line_ids():
    current = {"InvoiceNumber": "INV-0007", "Status": "AUTHORISED",
               "LineItems": [{"LineItemID": "11111111-1111-4111-8111-111111111111"}]}
    payload = mapping.update_payload(make_invoice(), choices(status="DRAFT", url="https://x/1?xero_copy=k"), current)
    assert "InvoiceNumber" not in payload and "Url" not in payload
    assert payload["Status"] == "AUTHORISED"  # Xero's current status, not the setting's
    first, second = payload["LineItems"]
    assert first["LineItemID"] == "11111111-1111-4111-8111-111111111111"
    assert "LineItemID" not in second  # a new line
    assert payload["Contact"] == {"ContactID": "c0ffee00-0000-4000-8000-000000000001"}
    assert payload["Date"] == dt.date(2026, 11, 2) and payload["CurrencyCode"] == "NZD"


def test_update_payload_clears_a_reference_that_became_empty():
    payload = mapping.update_payload(make_invoice(purchase_order_number=None),
                                     choices(reference_from="purchase_order_number"), {"Status": "DRAFT"})
    assert payload["Reference"] == "" and b'"Reference":""' in encode(payload)


def test_contact_payload_takes_the_persons_edits():
    company = Company(name="Harbour Lights Ltd", email="ap@harbour.example", tax_number="NZ-1",
                      default_currency="NZD")
    payload = payloads.contact_payload(company, name="  Harbour Lights (NZ) ", email="", tax_number=None)
    assert payload["Name"] == "Harbour Lights (NZ)"
    assert payload["EmailAddress"] is None  # emptied on purpose
    assert payload["TaxNumber"] == "NZ-1"  # not edited: the client's


def test_stored_payload_reencodes_to_the_same_bytes():
    """A retry re-sends the stored request; Xero refuses a different body under the same key."""
    import json
    body = encode(mapping.invoice_payload(make_invoice(), choices()))
    assert encode(json.loads(body, parse_float=Decimal)) == body
