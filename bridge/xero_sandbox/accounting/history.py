"""History & Notes on invoices and credit notes, and the records the sandbox writes itself."""
from flask import g

from bridge.xero_sandbox import clock, wire
from bridge.xero_sandbox.accounting import batch, bp
from bridge.xero_sandbox.accounting import validation as v
from bridge.xero_sandbox.db import HistoryRecord, Invoice, db

# The stored official page says 250 characters; a 2026 summary says 2,500 (UNCONFIRMED).
NOTE_LIMIT = 250
SYSTEM_USER = "System Generated"
_STATUS_WORDS = {"SUBMITTED": "Submitted", "AUTHORISED": "Approved", "VOIDED": "Voided",
                 "DELETED": "Deleted", "DRAFT": "Edited"}


def record(doc_id: str, org_id: str, changes: str, details: str, user: str = SYSTEM_USER) -> HistoryRecord:
    """Add one history record (not committed)."""
    entry = HistoryRecord(org_id=org_id, document_id=doc_id, changes=changes, details=details,
                          user=user, date_utc=clock.now())
    db.session.add(entry)
    return entry


def record_change(doc: Invoice, creating: bool, previous_status: str | None) -> None:
    """What Xero's own history would show for a create or an update."""
    who = doc.contact.name if doc.contact else ""
    label = doc.number or "Document"
    if creating:
        record(doc.id, doc.org_id, "Created", f"{label} to {who} for {wire.money(doc.total)}.")
        if doc.status == "AUTHORISED":
            record(doc.id, doc.org_id, "Approved", f"{label} to {who} for {wire.money(doc.total)}.")
        return
    if previous_status != doc.status:
        word = _STATUS_WORDS.get(doc.status, "Edited")
        record(doc.id, doc.org_id, word, f"{label} to {who} for {wire.money(doc.total)}.")
    else:
        record(doc.id, doc.org_id, "Edited", f"{label} was updated.")


def history_json(entry: HistoryRecord) -> dict:
    """A history record as GET .../History lists it."""
    return {
        "Changes": entry.changes, "DateUTCString": entry.date_utc.strftime("%Y-%m-%dT%H:%M:%S"),
        "DateUTC": wire.msdate(entry.date_utc), "User": entry.user, "Details": entry.details,
    }


def _document(doc_id: str, credit_notes: bool) -> Invoice | None:
    """The organisation's invoice (or credit note) with this id."""
    doc = db.session.get(Invoice, doc_id.lower())
    if doc is None or doc.org_id != g.org.id or doc.is_credit_note != credit_notes:
        return None
    return doc


def _list(doc_id: str, credit_notes: bool):
    """GET history: oldest first."""
    if _document(doc_id, credit_notes) is None:
        return wire.not_found()
    entries = db.session.scalars(db.select(HistoryRecord).filter_by(
        document_id=doc_id.lower()).order_by(HistoryRecord.date_utc, HistoryRecord.id))
    return wire.ok("HistoryRecords", [history_json(e) for e in entries])


def _add(doc_id: str, credit_notes: bool):
    """PUT/POST a note: notes cannot be edited or deleted afterwards."""
    doc = _document(doc_id, credit_notes)

    def handle(element: dict) -> batch.Result:
        """One note element."""
        details = str(element.get("Details") or "")
        now = clock.now()
        body = {"DateUTCString": now.strftime("%Y-%m-%dT%H:%M:%S"), "DateUTC": wire.msdate_plain(now),
                "Details": details}
        errors = []
        if doc is None:
            errors.append(v.DOCUMENT_NOT_FOUND)
        elif not details.strip():
            errors.append(v.HISTORY_EMPTY)
        elif len(details) > NOTE_LIMIT:
            errors.append(v.HISTORY_TOO_LONG.format(limit=NOTE_LIMIT))
        if errors:
            return batch.failed(body, errors, flag="HasValidationErrors")
        record(doc.id, doc.org_id, "Note", details, user=SYSTEM_USER)
        db.session.commit()
        body["ValidationErrors"] = []
        return batch.Result(body)

    return batch.run("HistoryRecords", handle)


@bp.get("/Invoices/<doc_id>/History")
def invoice_history(doc_id):
    """History & Notes of an invoice or bill."""
    return _list(doc_id, credit_notes=False)


@bp.route("/Invoices/<doc_id>/History", methods=["PUT", "POST"])
def add_invoice_note(doc_id):
    """Add notes to an invoice or bill."""
    return _add(doc_id, credit_notes=False)


@bp.get("/CreditNotes/<doc_id>/History")
def credit_note_history(doc_id):
    """History & Notes of a credit note."""
    return _list(doc_id, credit_notes=True)


@bp.route("/CreditNotes/<doc_id>/History", methods=["PUT", "POST"])
def add_credit_note_note(doc_id):
    """Add notes to a credit note."""
    return _add(doc_id, credit_notes=True)
