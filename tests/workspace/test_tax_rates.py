"""Tax rates: create, edit, archive; percentages are exact decimals from 0 to 100."""
from decimal import Decimal

import pytest

from bridge.extensions import db
from bridge.models import TaxRate
from tests.workspace.conftest import count, field_errors, make_tax_rate


def rates() -> list[tuple[str, Decimal, bool]]:
    return [(r.name, r.percentage, r.archived) for r in db.session.scalars(db.select(TaxRate).order_by(TaxRate.id))]


def test_list_shows_percentages_without_padding(admin):
    make_tax_rate("VAT", "20")
    make_tax_rate("Reduced", "7.5")
    page = admin.get("/settings/tax-rates").get_data(as_text=True)
    assert "20 %" in page and "7.5 %" in page


@pytest.mark.parametrize("percentage", ["0", "100", "12.3456", "19"])
def test_create_tax_rate(admin, hx, percentage):
    response = admin.post("/settings/tax-rates/new", data={"new-name": "VAT", "new-percentage": percentage}, headers=hx)
    assert response.status_code == 200
    assert rates() == [("VAT", Decimal(percentage), False)]


@pytest.mark.parametrize("name, percentage, field, message", [
    ("VAT", "-1", "percentage", "The percentage must be between 0 and 100."),
    ("VAT", "100.01", "percentage", "The percentage must be between 0 and 100."),
    ("VAT", "abc", "percentage", "Enter a number, like 12.50."),
    ("VAT", "NaN", "percentage", "Enter a number, like 12.50."),
    ("VAT", "Infinity", "percentage", "Enter a number, like 12.50."),
    ("VAT", "", "percentage", "Enter the percentage, e.g. 20."),
    ("VAT", "12.34567", "percentage", "Use at most 4 decimal places."),
    ("", "20", "name", "Enter a name."),
    ("standard", "20", "name", "A tax rate named standard already exists."),
])
def test_bad_input_is_refused_at_the_field(admin, hx, name, percentage, field, message):
    make_tax_rate("Standard", "20")
    response = admin.post(
        "/settings/tax-rates/new", data={"new-name": name, "new-percentage": percentage}, headers=hx
    )
    assert response.status_code == 422
    assert field_errors(response) == [message]
    # The message sits in the field's own block.
    block = response.get_data(as_text=True).split(f'for="new-{field}"')[1].split('<div class="field')[0]
    assert message.replace("'", "&#39;") in block
    assert count(TaxRate) == 1


def test_edit_tax_rate(admin, hx):
    rate = make_tax_rate("VAT", "20")
    form = admin.get(f"/settings/tax-rates/{rate.id}/edit", headers=hx).get_data(as_text=True)
    assert 'value="20"' in form
    response = admin.post(
        f"/settings/tax-rates/{rate.id}/edit",
        data={f"edit-{rate.id}-name": "VAT standard", f"edit-{rate.id}-percentage": "21"}, headers=hx,
    )
    assert response.status_code == 200
    assert rates() == [("VAT standard", Decimal("21"), False)]


def test_edit_refused_changes_nothing(admin, hx):
    rate = make_tax_rate("VAT", "20")
    response = admin.post(
        f"/settings/tax-rates/{rate.id}/edit",
        data={f"edit-{rate.id}-name": "VAT", f"edit-{rate.id}-percentage": "120"}, headers=hx,
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert rates() == [("VAT", Decimal("20"), False)]


def test_archive_and_unarchive(admin, hx):
    rate = make_tax_rate("VAT", "20")
    response = admin.post(f"/settings/tax-rates/{rate.id}/archive", headers=hx)
    assert "badge-archived" in response.get_data(as_text=True)
    assert rates()[0][2] is True
    admin.post(f"/settings/tax-rates/{rate.id}/unarchive", headers=hx)
    db.session.expire_all()
    assert rates()[0][2] is False


def test_unknown_tax_rate_is_404(admin):
    assert admin.get("/settings/tax-rates/42/edit").status_code == 404
