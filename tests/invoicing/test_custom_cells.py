"""Custom field values edited in the table cell: right input per type, 422 in the cell, empty clears."""
import html

import pytest
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.invoicing.custom_values import CustomValueError, clean_value
from bridge.models import CustomField, CustomFieldValue
from tests.invoicing import factories


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def fields(app):
    return {
        "text": factories.custom_field("Note", "text", position=1),
        "number": factories.custom_field("Hours", "number", position=2),
        "date": factories.custom_field("Delivered", "date", position=3),
        "select": factories.custom_field("Region", "select", ["North", "South"], position=4),
    }


@pytest.fixture
def invoice(app):
    return factories.invoice(factories.company())


def stored(invoice, field):
    return db.session.scalar(select(CustomFieldValue.value).filter_by(invoice_id=invoice.id, field_id=field.id))


def value_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CustomFieldValue))


@pytest.mark.parametrize("kind, expected", [
    ("text", 'type="text"'), ("number", 'type="number"'), ("date", 'type="date"'),
    ("select", "<option>North</option><option>South</option>"),
])
def test_edit_cell_has_the_input_of_the_field_type(client, auth, hx, fields, invoice, kind, expected):
    auth.login("member")
    response = client.get(f"/invoices/{invoice.id}/fields/{fields[kind].id}/edit", headers=hx)
    page = text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith(f'<td id="cf-{invoice.id}-{fields[kind].id}"') and "<html" not in page
    assert expected in page and 'name="value"' in page and "autofocus" in page
    assert f'hx-post="/invoices/{invoice.id}/fields/{fields[kind].id}"' in page


@pytest.mark.parametrize("kind, raw, saved, shown", [
    ("text", "  Call Anna  ", "Call Anna", "Call Anna"),
    ("number", "12.50", "12.50", "12.50"),
    ("number", "-3", "-3", "-3"),
    ("number", "+7.", "7", "7"),
    ("date", "2026-03-01", "2026-03-01", "Mar 1, 2026"),
    ("select", "South", "South", "South"),
])
def test_valid_values_are_saved_and_the_cell_swaps_back(client, auth, hx, fields, invoice, kind, raw, saved, shown):
    auth.login("member")
    response = client.post(f"/invoices/{invoice.id}/fields/{fields[kind].id}", data={"value": raw}, headers=hx)
    page = text(response)
    assert response.status_code == 200
    assert 'class="cell-button"' in page and shown in page and "<input" not in page
    assert stored(invoice, fields[kind]) == saved


@pytest.mark.parametrize("kind, raw, message", [
    ("number", "twelve", "Enter a number, e.g. 12.5."),
    ("number", "NaN", "Enter a number, e.g. 12.5."),
    ("number", "1,5", "Enter a number, e.g. 12.5."),
    ("number", "1e3", "Enter a number, e.g. 12.5."),  # issue 18: plain decimals only
    ("date", "2026-02-30", "Enter a real date as YYYY-MM-DD."),
    ("date", "01/03/2026", "Enter a real date as YYYY-MM-DD."),
    ("select", "East", "Pick one of: North, South."),
    ("select", "north", "Pick one of: North, South."),
    ("text", "x" * 1001, "Keep it under 1,000 characters."),
])
def test_bad_values_answer_422_in_the_cell_and_save_nothing(client, auth, hx, fields, invoice, kind, raw, message):
    factories.custom_value(invoice, fields[kind], "2026-01-01" if kind == "date" else "North" if kind == "select" else "7")
    before = stored(invoice, fields[kind])
    auth.login()
    response = client.post(f"/invoices/{invoice.id}/fields/{fields[kind].id}", data={"value": raw}, headers=hx)
    page = text(response)
    assert response.status_code == 422
    assert message in page and 'aria-invalid="true"' in page and "<html" not in page
    assert stored(invoice, fields[kind]) == before and value_count() == 1


def test_updating_keeps_one_row(client, auth, hx, fields, invoice):
    factories.custom_value(invoice, fields["number"], "1")
    auth.login()
    client.post(f"/invoices/{invoice.id}/fields/{fields['number'].id}", data={"value": "2"}, headers=hx)
    assert stored(invoice, fields["number"]) == "2" and value_count() == 1


@pytest.mark.parametrize("raw", ["", "   "])
def test_empty_value_removes_it(client, auth, hx, fields, invoice, raw):
    factories.custom_value(invoice, fields["text"], "old")
    auth.login()
    response = client.post(f"/invoices/{invoice.id}/fields/{fields['text'].id}", data={"value": raw}, headers=hx)
    assert response.status_code == 200 and 'aria-label="Empty"' in text(response)
    assert value_count() == 0


def test_cancel_shows_the_stored_value(client, auth, hx, fields, invoice):
    factories.custom_value(invoice, fields["select"], "North")
    auth.login()
    page = text(client.get(f"/invoices/{invoice.id}/fields/{fields['select'].id}", headers=hx))
    assert "North" in page and 'class="cell-button"' in page


def test_table_cells_show_values_and_open_the_editor(client, auth, fields, invoice):
    factories.custom_value(invoice, fields["date"], "2026-03-01")
    auth.login()
    page = text(client.get("/"))
    assert f'id="cf-{invoice.id}-{fields["date"].id}"' in page and "Mar 1, 2026" in page
    assert f'hx-get="/invoices/{invoice.id}/fields/{fields["date"].id}/edit"' in page


def test_unknown_or_archived_field_and_unknown_invoice_are_404(client, auth, hx, fields, invoice):
    archived = factories.custom_field("Old", archived=True)
    auth.login()
    assert client.post(f"/invoices/{invoice.id}/fields/{archived.id}", data={"value": "x"}, headers=hx).status_code == 404
    assert client.get(f"/invoices/{invoice.id}/fields/999/edit", headers=hx).status_code == 404
    assert client.post(f"/invoices/999/fields/{fields['text'].id}", data={"value": "x"}, headers=hx).status_code == 404
    assert value_count() == 0


def test_clean_value_unit():
    number = CustomField(name="n", field_type="number")
    assert clean_value(number, " 0.10 ") == "0.10"
    assert clean_value(number, "") is None
    with pytest.raises(CustomValueError):
        clean_value(number, "Infinity")
    empty_select = CustomField(name="s", field_type="select", options_text=None)
    with pytest.raises(CustomValueError, match="no options yet"):
        clean_value(empty_select, "x")
