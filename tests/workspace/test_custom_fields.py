"""Custom fields on invoices: types, options, positions, and no type change once used."""
import pytest

from bridge.extensions import db
from bridge.models import CustomField
from tests.workspace.conftest import count, field_errors, give_value, make_custom_field


def data(prefix="new", **values):
    base = {"name": "Cost centre", "field_type": "text", "options_text": ""}
    return {f"{prefix}-{key}": value for key, value in {**base, **values}.items()}


def fields() -> list[CustomField]:
    return db.session.scalars(db.select(CustomField).order_by(CustomField.position)).all()


def test_page_points_to_the_invoice_table_view(admin):
    page = admin.get("/settings/custom-fields").get_data(as_text=True)
    assert 'href="/">invoice table view</a>' in page


def test_create_text_field_ignores_options(admin, hx):
    response = admin.post("/settings/custom-fields/new", data=data(options_text="left\nover"), headers=hx)
    assert response.status_code == 200
    [field] = fields()
    assert (field.name, field.field_type, field.options_text, field.archived) == ("Cost centre", "text", None, False)


def test_create_select_field_keeps_trimmed_options(admin, hx):
    response = admin.post(
        "/settings/custom-fields/new",
        data=data(name="Priority", field_type="select", options_text=" High \n\nLow\n"), headers=hx,
    )
    assert response.status_code == 200
    [field] = fields()
    assert field.options == ["High", "Low"] and field.options_text == "High\nLow"
    assert "High, Low" in response.get_data(as_text=True)


def test_new_fields_go_last(admin, hx):
    make_custom_field("First", position=4)
    admin.post("/settings/custom-fields/new", data=data(name="Second"), headers=hx)
    admin.post("/settings/custom-fields/new", data=data(name="Third", field_type="date"), headers=hx)
    assert [(f.name, f.position) for f in fields()] == [("First", 4), ("Second", 5), ("Third", 6)]


@pytest.mark.parametrize("values, message", [
    ({"field_type": "select", "options_text": ""}, "A select field needs at least one option (one per line)."),
    ({"field_type": "select", "options_text": " \n  \n"}, "A select field needs at least one option (one per line)."),
    ({"field_type": "select", "options_text": "High\nhigh"}, "Each option must be different."),
    ({"field_type": "colour"}, "Choose a type from the list."),
    ({"name": ""}, "Enter a name."),
    ({"name": "NOTE"}, "A custom field named NOTE already exists."),
])
def test_bad_input_is_refused_at_the_field(admin, hx, values, message):
    make_custom_field("Note")
    response = admin.post("/settings/custom-fields/new", data=data(**values), headers=hx)
    assert response.status_code == 422
    assert field_errors(response) == [message]
    assert count(CustomField) == 1


def test_edit_field_without_values_may_change_type(admin, hx):
    field = make_custom_field("Due by", "text")
    response = admin.post(
        f"/settings/custom-fields/{field.id}/edit", data=data(f"edit-{field.id}", name="Due by", field_type="date"),
        headers=hx,
    )
    assert response.status_code == 200
    assert fields()[0].field_type == "date"


def test_type_change_refused_once_values_exist(admin, hx):
    field = make_custom_field("Cost centre", "text")
    give_value(field, "CC-1")
    response = admin.post(
        f"/settings/custom-fields/{field.id}/edit",
        data=data(f"edit-{field.id}", name="Cost centre 2", field_type="number"), headers=hx,
    )
    assert response.status_code == 422
    assert field_errors(response) == ["This field already has values on 1 invoice, so its type cannot be changed."]
    db.session.expire_all()
    assert (fields()[0].name, fields()[0].field_type) == ("Cost centre", "text")


def test_field_with_values_may_still_be_renamed(admin, hx):
    field = make_custom_field("Cost centre", "text")
    give_value(field)
    response = admin.post(
        f"/settings/custom-fields/{field.id}/edit", data=data(f"edit-{field.id}", name="Cost center"), headers=hx,
    )
    assert response.status_code == 200
    assert fields()[0].name == "Cost center"


def test_options_in_use_cannot_be_removed(admin, hx):
    field = make_custom_field("Priority", "select", "High\nLow")
    give_value(field, "High")
    prefix = f"edit-{field.id}"
    refused = admin.post(
        f"/settings/custom-fields/{field.id}/edit",
        data=data(prefix, name="Priority", field_type="select", options_text="Low\nMedium"), headers=hx,
    )
    assert refused.status_code == 422
    assert field_errors(refused) == ["Still used on invoices, so keep: High."]
    accepted = admin.post(
        f"/settings/custom-fields/{field.id}/edit",
        data=data(prefix, name="Priority", field_type="select", options_text="High\nMedium"), headers=hx,
    )
    assert accepted.status_code == 200
    db.session.expire_all()
    assert fields()[0].options == ["High", "Medium"]


def test_archive_custom_field(admin, hx):
    field = make_custom_field("Note")
    response = admin.post(f"/settings/custom-fields/{field.id}/archive", headers=hx)
    assert response.status_code == 200 and "badge-archived" in response.get_data(as_text=True)
    assert fields()[0].archived is True


def test_unknown_custom_field_is_404(admin, hx):
    assert admin.get("/settings/custom-fields/7/edit", headers=hx).status_code == 404
