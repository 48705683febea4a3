"""Bounds with clear messages (issue 18): lines per invoice, text lengths, numbers as plain
ASCII decimals, what an invoice number pattern may hold, and SQLite files made private. Each
refusal is a 422 with the message at its field and what was typed still in the form."""
import html
import stat

import pytest
from sqlalchemy import func, select

from bridge.extensions import db
from bridge.billing.service import MAX_LINES
from bridge.models import CustomFieldValue, Invoice, TaxRate, WorkspaceSettings
from tests.conftest import make_app
from tests.invoicing import factories
from tests.invoicing.test_editor import form_data, refs  # noqa: F401  (fixture)
from tests.workspace.conftest import admin, field_errors  # noqa: F401  (fixture)

HOSTILE_NUMBERS = ["１２", "١٢", "٣.٥", "1_000", "1e3", "12 000", "0x10", "NaN", "²"]


def with_lines(refs, count: int) -> dict:
    data = form_data(refs, **{f"lines-1-{n}": None for n in
                              ("description", "quantity", "unit_price", "service_type_id", "tax_rate_id",
                               "discount_percent")})
    for n in range(count):
        data.update({f"lines-{n}-description": f"Line {n}", f"lines-{n}-quantity": "1",
                     f"lines-{n}-unit_price": "10", f"lines-{n}-discount_percent": "0",
                     f"lines-{n}-service_type_id": "", f"lines-{n}-tax_rate_id": ""})
    return data


def test_an_invoice_of_max_lines_is_saved_one_more_is_refused_keeping_every_line(admin, refs):
    assert admin.post("/invoices/new", data=with_lines(refs, MAX_LINES)).status_code == 302
    answer = admin.post("/invoices/new", data=with_lines(refs, MAX_LINES + 1))
    assert answer.status_code == 422
    page = html.unescape(answer.get_data(as_text=True))
    assert f"An invoice holds at most {MAX_LINES} lines; this one has {MAX_LINES + 1}." in page
    assert page.count('class="line-row"') == MAX_LINES + 1
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_add_line_stops_at_the_maximum(admin, refs, hx):
    full = with_lines(refs, MAX_LINES)
    plain = admin.post("/invoices/new", data={**full, "add_line": "1"})
    assert plain.status_code == 422 and f"An invoice holds at most {MAX_LINES} lines." in plain.get_data(as_text=True)
    assert plain.get_data(as_text=True).count('class="line-row"') == MAX_LINES
    htmx = admin.post("/invoices/lines", data=full, headers=hx)
    assert htmx.status_code == 422 and htmx.headers["HX-Reswap"] == "none"
    assert f"at most {MAX_LINES} lines" in htmx.headers["HX-Trigger"]
    assert admin.post("/invoices/lines", data=with_lines(refs, 3), headers=hx).status_code == 200


def test_notes_have_a_maximum_length(admin, refs):
    answer = admin.post("/invoices/new", data=form_data(refs, notes="n" * 5001))
    assert answer.status_code == 422
    assert "Keep the notes under 5,000 characters." in field_errors(answer)
    assert "n" * 5001 in answer.get_data(as_text=True), "what was typed stays"
    assert admin.post("/invoices/new", data=form_data(refs, notes="n" * 5000)).status_code == 302


@pytest.mark.parametrize("path, field", [
    ("/clients/new", "address"), ("/settings/custom-fields/new", "new-options_text"),
])
def test_other_long_texts_are_refused_at_the_field(admin, path, field):
    answer = admin.post(path, data={field: "a" * 6000, "name": "X", "new-name": "X", "default_currency": "EUR",
                                    "new-field_type": "select"})
    assert answer.status_code == 422
    assert any("Keep the" in error for error in field_errors(answer))


@pytest.mark.parametrize("typed", HOSTILE_NUMBERS)
def test_invoice_numbers_are_plain_ascii_decimals(admin, refs, typed):
    answer = admin.post("/invoices/new", data=form_data(refs, **{"lines-0-quantity": typed}))
    assert answer.status_code == 422
    assert "Enter a number, e.g. 12.50." in field_errors(answer)
    assert f'value="{html.escape(typed)}"' in answer.get_data(as_text=True)


@pytest.mark.parametrize("typed", HOSTILE_NUMBERS)
def test_tax_rates_and_number_cells_are_plain_ascii_decimals(admin, hx, typed):
    answer = admin.post("/settings/tax-rates/new", data={"new-name": "VAT", "new-percentage": typed}, headers=hx)
    assert answer.status_code == 422 and "Enter a number, like 12.50." in field_errors(answer)
    assert db.session.scalar(select(func.count()).select_from(TaxRate)) == 0
    invoice = factories.invoice(factories.company())
    field = factories.custom_field("Hours", "number")
    cell = admin.post(f"/invoices/{invoice.id}/fields/{field.id}", data={"value": typed}, headers=hx)
    assert cell.status_code == 422 and "Enter a number, e.g. 12.5." in cell.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CustomFieldValue)) == 0


@pytest.mark.parametrize("typed", ["12", "-3.50", ".5", "7."])
def test_plain_decimals_still_pass(admin, refs, typed):
    data = form_data(refs, **{"lines-0-discount_percent": typed.lstrip("-")})
    assert admin.post("/invoices/new", data=data).status_code == 302


def entity_form(**values) -> dict:
    """Settings > Billing entities > Add entity, filled in."""
    return {"name": "Harbour & Pine Ltd", "base_currency": "GBP", "invoice_number_pattern": "UK-{year}-{seq:04}",
            "credit_note_number_pattern": "UK-CN-{year}-{seq:04}", **values}


@pytest.mark.parametrize("pattern", [
    '"><img src=x onerror=alert(6)>{seq}', "INV {seq}", "INV-{seq}'", "Ä-{seq}", "<b>{seq}", "{seq}&amp;",
])
def test_the_number_pattern_holds_only_what_an_invoice_number_may(admin, pattern):
    answer = admin.post("/settings/entities/new", data=entity_form(invoice_number_pattern=pattern))
    assert answer.status_code == 422
    assert "Use only letters A-Z, digits, - / . _ and {year}, {seq} or {seq:04}." in field_errors(answer)
    assert db.session.get(WorkspaceSettings, 1) is None


@pytest.mark.parametrize("pattern", ["INV-{year}/{seq:04}", "A.B_C-{seq}", "{seq}"])
def test_ordinary_patterns_are_kept(admin, pattern):
    assert admin.post("/settings/entities/new", data=entity_form(invoice_number_pattern=pattern)).status_code == 302


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_files_are_created_private(tmp_path):
    database = tmp_path / "instance" / "bridge.sqlite"
    database.parent.mkdir()
    app = make_app(f"sqlite:///{database}")
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert mode(database) == 0o600
    backup = tmp_path / "backup.sqlite"
    result = make_app(f"sqlite:///{database}").test_cli_runner().invoke(args=["backup", "create", str(backup)])
    assert result.exit_code == 0, result.output
    assert mode(backup) == 0o600


def test_the_sandbox_database_is_created_private(tmp_path):
    from bridge.xero_sandbox import create_app as create_sandbox

    database = tmp_path / "xero-sandbox.sqlite"
    create_sandbox({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SANDBOX_SEED": False})
    assert mode(database) == 0o600
