"""What follows a copy: the History & Notes entry, and Xero's PDF, fetched once per copy or
update and kept on its XeroCopy row (downloads never call Xero when it is there)."""
from dataclasses import dataclass

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import Invoice, XeroCopy, utcnow
from bridge.xero.sending import activity
from bridge.xero.settings.readiness import readiness
from bridge.xero.sending.attempt import documents_of
from bridge.xero.sending.once import last_done
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroError


class PdfUnavailable(Exception):
    """Xero's PDF is the one to give, and it cannot be had now; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class XeroPdf:
    content: bytes
    number: str


def add_note(row_id: int, user_id: int | None) -> list[str]:
    """Put the copy's note into the Xero invoice's History & Notes; what went wrong, if anything.

    An update adds it only if this Xero invoice does not have the same note already.
    """
    row = db.session.get(XeroCopy, row_id)
    if not row.note_text or row.note_added_at is not None or _has_note(row):
        return []
    tenant, xero_id, text, key = row.tenant_id, row.xero_id, row.note_text, row.attempt_key
    db.session.commit()  # no transaction stays open while Xero is called
    try:
        with XeroClient(tenant) as client:
            answer = client.add_history_note(xero_id, text, idempotency_key=f"{key}-note")
    except XeroError as error:
        _log("note", "error", f"The note was not added to {row.xero_number}: {error}", row, user_id,
             {"Details": text}, getattr(error, "messages", None) or str(error))
        db.session.commit()
        return [f"The note for the accountant was not added to Xero's History & Notes: {error}"]
    row = db.session.get(XeroCopy, row_id)
    row.note_added_at = utcnow()
    _log("note", "ok", f"Added the note to {row.xero_number}'s History & Notes.", row, user_id,
         {"Details": text}, answer)
    db.session.commit()
    return []


def _has_note(row: XeroCopy) -> bool:
    """Whether this Xero invoice already got this very note from an earlier copy or update."""
    return db.session.scalar(select(XeroCopy.id).where(
        XeroCopy.xero_id == row.xero_id, XeroCopy.id != row.id, XeroCopy.note_text == row.note_text,
        XeroCopy.note_added_at.is_not(None)).limit(1)) is not None


def store_pdf(row_id: int, user_id: int | None) -> list[str]:
    """Fetch Xero's PDF of the copy once and keep it on the row; what went wrong, if anything."""
    row = db.session.get(XeroCopy, row_id)
    tenant, xero_id = row.tenant_id, row.xero_id
    db.session.commit()
    try:
        with XeroClient(tenant) as client:
            content = (client.get_credit_note_pdf(xero_id) if row.credit_note_id is not None
                       else client.get_invoice_pdf(xero_id))
    except XeroError as error:
        _log("pdf", "error", f"Xero's PDF of {row.xero_number} was not fetched: {error}", row,
             user_id, None, str(error))
        db.session.commit()
        return [f"Xero's PDF could not be fetched now ({error}); it is fetched when someone "
                "downloads it."]
    row = db.session.get(XeroCopy, row_id)
    row.pdf, row.pdf_fetched_at = content, utcnow()
    _log("pdf", "ok", f"Fetched Xero's PDF of {row.xero_number} ({len(content):,} bytes).", row,
         user_id, None, f"application/pdf, {len(content)} bytes")
    db.session.commit()
    return []


def xero_pdf(invoice_id: int, user_id: int | None) -> XeroPdf | None:
    """Xero's PDF of the last copy when the invoice's billing entity's settings say Xero makes
    PDFs; else None (ours).

    Fetched from Xero only when the copy has none yet (its fetch failed at copy time).
    """
    invoice = db.session.get(Invoice, invoice_id)
    ready = readiness(invoice.entity_id if invoice is not None else None)
    if ready.settings is None or ready.settings.pdfs_by != "xero":
        return None
    row = last_done(invoice_id)
    if row is None:
        return None
    if row.pdf is None:
        if not ready.connected:
            raise PdfUnavailable("Xero's PDF of this invoice was never fetched, and Xero is not "
                                 "connected now. An admin can reconnect it in Settings > App Marketplace.")
        problems = store_pdf(row.id, user_id)
        if problems:
            raise PdfUnavailable(problems[0].split(";")[0] + ". Please try again in a few minutes.")
        row = db.session.get(XeroCopy, row.id)
    return XeroPdf(row.pdf, row.xero_number or "")


def _log(operation, outcome, summary, row: XeroCopy, user_id, sent, answer) -> None:
    activity.record(operation, outcome, summary, tenant_id=row.tenant_id, user_id=user_id,
                    **documents_of(row), request=sent, response=answer)
