"""What Bridge sent to Xero: each copy of an invoice, bill or credit note, and the activity log."""
import datetime as dt

from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from bridge.extensions import db
from bridge.models.auth import User
from bridge.models.types import Money, UTCDateTime, utcnow

# void and delete: an earlier copy ended in Xero (VOIDED or DELETED) before a new one is made.
COPY_ACTIONS = ("create", "update", "void", "delete")
# The actions that send a document's content (its copies and updates).
SENDING_ACTIONS = ("create", "update")
# pending: being sent now; unknown: sent, but Xero's answer was lost (a retry looks in Xero
# before sending again); done / failed: Xero's answer is recorded.
COPY_STATES = ("pending", "unknown", "done", "failed")
# A row is about exactly one of an invoice, an expense (its bill) or a credit note.
ONE_OF_THREE = ("(CASE WHEN invoice_id IS NULL THEN 0 ELSE 1 END + CASE WHEN expense_id IS NULL "
                "THEN 0 ELSE 1 END + CASE WHEN credit_note_id IS NULL THEN 0 ELSE 1 END) = 1")


class XeroCopy(db.Model):
    """One attempt to create or update a Xero document from an invoice or an expense.

    The row is committed as `pending` before Xero is called; its attempt_key is the
    Idempotency-Key, so a double submit or a retry finds the row instead of sending
    twice. Rows stay after a disconnect: they are the history of what was copied.
    """

    __tablename__ = "xero_copies"
    __table_args__ = (
        CheckConstraint(ONE_OF_THREE, name="one_document"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"), index=True)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    attempt_key: Mapped[str] = mapped_column(String(100), unique=True)
    action: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    xero_id: Mapped[str | None] = mapped_column(String(36), index=True)
    xero_number: Mapped[str | None] = mapped_column(String(255))
    xero_status: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    # What kind of refusal (validation, locked, duplicate_number, rate_limited, …).
    error_kind: Mapped[str | None] = mapped_column(String(20))
    # Xero's own messages, verbatim.
    messages: Mapped[list | None] = mapped_column(JSON)
    xero_contact_id: Mapped[str | None] = mapped_column(String(36))
    # The exact JSON sent (no secrets): a retry re-sends these bytes under the same
    # Idempotency-Key, which Xero refuses for a different body.
    payload: Mapped[str | None] = mapped_column(Text)
    # When the current attempt started; a pending row older than the lease was abandoned.
    attempted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The History & Notes entry for this copy, and when Xero took it.
    note_text: Mapped[str | None] = mapped_column(Text)
    note_added_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A bulk copy's item: its job, and the Idempotency-Key of the batch it was sent in.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("xero_copy_jobs.id"), index=True)
    batch_key: Mapped[str | None] = mapped_column(String(100), index=True)

    created_by: Mapped[User | None] = relationship()


# Xero's statuses of a document that no longer counts: its payments and credit are history.
ENDED_STATUSES = ("VOIDED", "DELETED")


class XeroDocument(db.Model):
    """One document Bridge created in Xero (a copy of an invoice, or an expense's bill) as Xero
    last said it is: number, status, totals and amounts.

    Written from Xero's answer to every copy, update, void or delete, and by each payment sync
    from the documents that changed in Xero. One row per Xero InvoiceID, so every copy ever
    made of a Bridge document is here, live or ended (VOIDED, DELETED): once copied, Xero is
    the ledger, and Bridge's invoice or expense is summed up from these rows.
    """

    __tablename__ = "xero_documents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "xero_id", name="one_row_per_xero_document"),
        CheckConstraint(ONE_OF_THREE, name="one_bridge_document"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    xero_id: Mapped[str] = mapped_column(String(36), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"), index=True)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    number: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3))
    sub_total: Mapped[Decimal | None] = mapped_column(Money)
    total_tax: Mapped[Decimal | None] = mapped_column(Money)
    total: Mapped[Decimal | None] = mapped_column(Money)
    amount_due: Mapped[Decimal | None] = mapped_column(Money)
    amount_paid: Mapped[Decimal | None] = mapped_column(Money)
    amount_credited: Mapped[Decimal | None] = mapped_column(Money)
    fully_paid_on: Mapped[dt.date | None] = mapped_column(Date)
    # Xero's UpdatedDateUTC as last read; an older answer never overwrites a newer one.
    xero_updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When Bridge first saw it VOIDED or DELETED (Xero's UpdatedDateUTC of that change).
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def live(self) -> bool:
        """Whether it still counts in Xero (not voided, not deleted)."""
        return self.status not in ENDED_STATUSES


# draft: the selection, before the person confirms; queued / running: being worked through by
# the job runner; done: every invoice has its outcome; stopped: Xero refused Bridge's access.
JOB_STATES = ("draft", "queued", "running", "done", "stopped")


# What a bulk copy copies: invoices, or credit notes (bridge.xero.bulk.kinds).
JOB_KINDS = ("invoice", "credit_note")


class XeroCopyJob(db.Model):
    """A bulk Copy to Xero: the selected invoices (or credit notes), worked through in the background.

    The selection is stored here (not in a URL); each document's outcome is a XeroCopy row
    with this job_id, whose attempt_key is derived from `key` and the document's id.
    """

    __tablename__ = "xero_copy_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)
    # The billing entity whose documents these are (None: the first), and its organisation.
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("billing_entities.id"))
    tenant_id: Mapped[str] = mapped_column(String(36))
    # A selection spanning several entities is one job per entity's organisation, sharing this.
    selection_key: Mapped[str | None] = mapped_column(String(36), index=True)
    state: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    kind: Mapped[str] = mapped_column(String(20), default="invoice", server_default="invoice")
    # The Xero status for new copies when the setting is Manual (chosen once for the batch).
    status: Mapped[str | None] = mapped_column(String(20))
    # The selected documents' ids, of the job's kind (invoices' or credit notes'); the column
    # kept its first name, document_ids says what it holds.
    invoice_ids: Mapped[list] = mapped_column(JSON)
    document_ids = synonym("invoice_ids")
    # Bridge's invoice page address with "{id}" for the invoice id (Xero's Url field).
    link_template: Mapped[str] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()


ACTIVITY_OUTCOMES = ("ok", "error")


class XeroActivity(db.Model):
    """One Xero operation Bridge performed: who, when, what was sent, Xero's answer, outcome.

    `request` and `response` are JSON text with no tokens or other secrets.
    """

    __tablename__ = "xero_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    operation: Mapped[str] = mapped_column(String(40))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"), index=True)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(10), index=True)
    summary: Mapped[str] = mapped_column(Text)
    request: Mapped[str | None] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship()
    invoice: Mapped["Invoice | None"] = relationship()  # noqa: F821  (bridge.models.invoicing)
    expense: Mapped["Expense | None"] = relationship()  # noqa: F821  (bridge.models.invoicing)
