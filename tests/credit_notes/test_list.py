"""The list of credit notes: newest first, a page at a time (HTMX gets the table alone), the
invoice each credits; ticking and Copy to Xero only when Xero is ready; a selection that
cannot be used is said in the modal."""
import datetime as dt
from decimal import Decimal

from bridge.billing.credit_notes import CreditNoteData, create_credit_note
from tests.credit_notes.conftest import text


def notes_of(invoice, count: int) -> list:
    return [create_credit_note(CreditNoteData(invoice.id, "amount", f"Goodwill {n}", invoice.currency,
                                              dt.date(2026, 3, 3) + dt.timedelta(days=n), amount=Decimal("1.00")))
            for n in range(count)]


def test_newest_first_a_page_at_a_time(admin, invoice, hx):
    notes = notes_of(invoice, 27)
    first = admin.get("/credit-notes")
    body = first.get_data(as_text=True)
    assert first.status_code == 200 and "<h1>Credit notes</h1>" in body
    assert body.index(notes[-1].number) < body.index(notes[-2].number)  # newest first
    assert notes[0].number not in body and "Page 1 of 2 · 27 credit notes" in text(first)
    assert f'href="/invoices/{invoice.id}"' in body and "NZ$1.15" in text(first)
    second = admin.get("/credit-notes?page=2", headers=hx)
    assert second.get_data(as_text=True).lstrip().startswith('<section id="credit-note-table"')
    assert notes[0].number in text(second) and notes[-1].number not in text(second)


def test_no_ticking_until_xero_is_ready(admin, invoice):
    notes_of(invoice, 1)
    body = admin.get("/credit-notes").get_data(as_text=True)
    assert 'name="credit_note_ids"' not in body and "Copy ticked to Xero" not in body


def test_an_empty_list_says_where_credit_notes_come_from(admin):
    assert "No credit notes yet. Make one from an invoice's page." in text(admin.get("/credit-notes"))


def test_nothing_ticked_is_said_in_the_modal(connected, admin, invoice, hx):
    notes_of(invoice, 1)
    assert 'name="credit_note_ids"' in admin.get("/credit-notes").get_data(as_text=True)
    answer = admin.post("/credit-notes/xero/bulk", headers=hx, data={})
    assert answer.status_code == 422 and "Select at least one credit note." in text(answer)
