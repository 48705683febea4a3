"""Files kept with a document: an invoice's supporting files, an expense's receipts; and each
upload of one of them to a Xero document (exactly once, as a copy is).

The bytes live on the filesystem (ATTACHMENTS_FOLDER, never a served path) under `stored_name`;
the row and the file are written together (bridge.billing.files).
"""
import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.extensions import db
from bridge.models.auth import User
from bridge.models.types import UTCDateTime, utcnow

# pending: being uploaded now; unknown: sent, Xero's answer lost (a retry looks in Xero first);
# done: Xero has it; failed: Xero refused it (a retry is a new attempt, with a new key).
UPLOAD_STATES = ("pending", "unknown", "done", "failed")


class DocumentFile(db.Model):
    """One file of an invoice (supporting file) or an expense (receipt): PDF, PNG or JPEG."""

    __tablename__ = "document_files"
    __table_args__ = (
        CheckConstraint("(invoice_id IS NULL) <> (expense_id IS NULL)", name="file_of_one_document"),
        # Xero names an attachment by its file name: a second file of that name would replace it.
        UniqueConstraint("invoice_id", "file_name", name="one_name_per_invoice"),
        UniqueConstraint("expense_id", "file_name", name="one_name_per_expense"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    expense_id: Mapped[int | None] = mapped_column(ForeignKey("expenses.id"), index=True)
    # The name people see and Xero gets (made safe: ASCII, no folders; extension of its real type).
    file_name: Mapped[str] = mapped_column(String(120))
    # The file's name inside ATTACHMENTS_FOLDER (random, never derived from what was uploaded).
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    # The type read from the bytes (application/pdf, image/png, image/jpeg).
    mime_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    # Shown with the online invoice in Xero (IncludeOnline); invoices only, chosen in the copy modal.
    include_online: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()
    uploads: Mapped[list["XeroAttachment"]] = relationship(back_populates="file", order_by="XeroAttachment.id")


class XeroAttachment(db.Model):
    """One file uploaded to one Xero document (an invoice's copy, an expense's bill).

    One row per (file, Xero document): committed as `pending` before Xero is called, its
    attempt_key sent as the Idempotency-Key, so a file reaches a document at most once; a
    lost answer (`unknown`) is looked for in Xero before it is sent again.
    """

    __tablename__ = "xero_attachments"
    __table_args__ = (UniqueConstraint("file_id", "tenant_id", "xero_id", name="one_upload_per_document"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("document_files.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    # The Xero InvoiceID (an invoice's copy or a bill) it goes to.
    xero_id: Mapped[str] = mapped_column(String(36), index=True)
    attempt_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    include_online: Mapped[bool] = mapped_column(Boolean, default=False)
    # The file name sent (Xero's key for the attachment).
    file_name: Mapped[str] = mapped_column(String(120))
    xero_attachment_id: Mapped[str | None] = mapped_column(String(36))
    error: Mapped[str | None] = mapped_column(Text)
    attempted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    file: Mapped[DocumentFile] = relationship(back_populates="uploads")
