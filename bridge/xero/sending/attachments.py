"""A document's files uploaded to its Xero copy (an invoice's supporting files, an expense's
receipts), each exactly once, after the document itself went through.

    notes = upload_files(Owner(invoice_id=7), tenant_id, xero_id, user_id)

Each (file, Xero document) is one XeroAttachment row, committed as `pending` with its own
attempt key before Xero is called; the key is the upload's Idempotency-Key. Xero's answer
makes it `done` (or `failed`, with Xero's words); a lost answer makes it `unknown`, and the
next try (Retry on the page, the next copy or Update existing) first lists the document's
attachments in Xero and sends the file again, under the same key, only when Xero lacks it.
A file already `done` on that Xero document is never sent again: Update existing sends only
the files Xero does not have yet. Limits are checked before any call.
"""
from dataclasses import dataclass
from uuid import uuid4

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from bridge.billing import files
from bridge.billing.files import Owner
from bridge.extensions import db
from bridge.models import SENDING_ACTIONS, DocumentFile, XeroAttachment, XeroConnection, XeroCopy, utcnow
from bridge.xero.api.client import XeroClient
from bridge.xero.api.errors import XeroError
from bridge.xero.sending import activity
from bridge.xero.sending.attempt import lease_time


@dataclass(frozen=True)
class Upload:
    """What happened to one file: done, failed (Xero refused, or a limit), unknown (answer
    lost), in_progress (another request is uploading it), and why when it did not go."""

    file_name: str
    outcome: str
    message: str | None = None


@dataclass(frozen=True)
class FileInXero:
    """One file as the Files section shows it: in the last Xero copy or not, and why not."""

    file: DocumentFile
    # done, failed, unknown, pending; "waiting" (never tried on this copy); None: not copied yet.
    state: str | None
    error: str | None = None

    @property
    def deletable(self) -> bool:
        """Only a file that never reached Xero (nor may have) can be deleted in Bridge."""
        return not files.in_xero(self.file)


@dataclass(frozen=True)
class FilesInXero:
    """A document's files against its last Xero copy (the Files section, the Retry notice)."""

    rows: list[FileInXero]
    # The Xero document the files go to (the last successful copy or bill), if any.
    xero_id: str | None

    @property
    def waiting(self) -> list[FileInXero]:
        """Files the last copy in Xero lacks (never tried, refused, or the answer was lost)."""
        return [row for row in self.rows if row.state not in (None, "done")]


def last_sent(owner: Owner) -> XeroCopy | None:
    """The newest successful copy (invoice) or bill (expense): where the files go."""
    of = XeroCopy.invoice_id == owner.invoice_id if owner.invoice_id is not None \
        else XeroCopy.expense_id == owner.expense_id
    return db.session.scalar(select(XeroCopy).where(of, XeroCopy.state == "done",
                                                    XeroCopy.action.in_(SENDING_ACTIONS))
                             .order_by(XeroCopy.completed_at.desc(), XeroCopy.id.desc()).limit(1))


def files_in_xero(owner: Owner) -> FilesInXero:
    """The document's files, each with its upload to the last copy in Xero."""
    rows = files.files_of(owner)
    last = last_sent(owner)
    if last is None:
        return FilesInXero([FileInXero(row, None) for row in rows], None)
    uploads = {u.file_id: u for u in db.session.scalars(select(XeroAttachment).where(
        XeroAttachment.tenant_id == last.tenant_id, XeroAttachment.xero_id == last.xero_id,
        XeroAttachment.file_id.in_([row.id for row in rows])))} if rows else {}
    return FilesInXero([FileInXero(row, uploads[row.id].state if row.id in uploads else "waiting",
                                   uploads[row.id].error if row.id in uploads else None) for row in rows],
                       last.xero_id)


def not_uploaded(owner: Owner, tenant_id: str | None, xero_id: str | None) -> list[DocumentFile]:
    """The document's files this Xero document does not have (yet), oldest first."""
    if not xero_id:
        return []
    done = select(XeroAttachment.file_id).where(
        XeroAttachment.tenant_id == tenant_id, XeroAttachment.xero_id == xero_id,
        XeroAttachment.state == "done")
    return list(db.session.scalars(select(DocumentFile).where(owner.condition, DocumentFile.id.not_in(done))
                                   .order_by(DocumentFile.id)))


def upload_files(owner: Owner, tenant_id: str, xero_id: str, user_id: int | None) -> list[str]:
    """Upload every file of the document that this Xero document lacks; one sentence per file
    that did not go, with why (nothing when all went). Retry: the files' section and Xero box."""
    ids = [row.id for row in not_uploaded(owner, tenant_id, xero_id)]
    db.session.commit()
    outcomes = [upload_one(file_id, tenant_id, xero_id, user_id) for file_id in ids]
    return [f"{o.file_name} was not uploaded to Xero: {o.message}" for o in outcomes if o.outcome != "done"]


def upload_one(file_id: int, tenant_id: str, xero_id: str, user_id: int | None) -> Upload:
    """One file to one Xero document, exactly once (see the module's docstring)."""
    row = db.session.get(DocumentFile, file_id)
    name, owner = row.file_name, Owner(row.invoice_id, row.expense_id)
    problem = _limit_problem(row) or _no_permission(tenant_id)
    if problem:
        _log(owner, tenant_id, user_id, "error", f"{name} was not uploaded: {problem}", _sent(row, False), None)
        db.session.commit()
        return Upload(name, "failed", problem)
    upload_id, look_first = _claim(row, tenant_id, xero_id, user_id)
    if upload_id is None:
        return Upload(name, "in_progress", "It is being uploaded now.")
    upload = db.session.get(XeroAttachment, upload_id)
    key, online, sent = upload.attempt_key, upload.include_online, _sent(row, upload.include_online)
    try:
        content = files.read(row)
    except OSError:
        return _failed(upload_id, owner, user_id, sent, "The file is missing from Bridge's file folder.")
    db.session.commit()  # no transaction stays open while Xero is called
    try:
        with XeroClient(tenant_id) as client:
            found = _look_in_xero(client, xero_id, name) if look_first else None
            if found is not None:
                element = found
            else:
                element = client.upload_attachment(xero_id, name, content, include_online=online,
                                                   idempotency_key=key)
    except XeroError as error:
        if error.status is not None and 400 <= error.status < 500:
            return _failed(upload_id, owner, user_id, sent, str(error), getattr(error, "messages", None))
        return _unknown(upload_id, owner, user_id, sent, error)
    except Exception as error:
        _unknown(upload_id, owner, user_id, sent, error)
        raise
    return _done(upload_id, owner, user_id, sent, element, found=found is not None)


ATTACHMENTS_SCOPE = "accounting.attachments"


def _no_permission(tenant_id: str) -> str | None:
    """Why Xero would refuse the upload for want of its scope, asked before calling: a
    connection made before Bridge sent files lacks it, and Xero's 401 would then mark the
    whole connection as needing reconnect, stopping every copy, not only the files."""
    granted = db.session.scalar(select(XeroConnection.scopes).where(XeroConnection.tenant_id == tenant_id))
    if granted and ATTACHMENTS_SCOPE not in granted.split():
        return ("Xero has not allowed Bridge to send files to this organisation yet: an admin must "
                "reconnect Xero once (Settings > App Marketplace > Xero), then use Retry.")
    return None


def _limit_problem(row: DocumentFile) -> str | None:
    """A limit the file breaks now (the setting may have been lowered since it was kept)."""
    if row.size > files.max_bytes():
        return (f"it is {files.readable_size(row.size)}, larger than the {files.readable_size(files.max_bytes())} "
                "Bridge sends to Xero per file.")
    return None


def _claim(row: DocumentFile, tenant_id: str, xero_id: str, user_id: int | None) -> tuple[int | None, bool]:
    """The upload row to send now, committed as pending, and whether Xero must be asked first
    (an earlier answer was lost); (None, False) when another request is uploading it."""
    upload = db.session.scalar(select(XeroAttachment).where(
        XeroAttachment.file_id == row.id, XeroAttachment.tenant_id == tenant_id,
        XeroAttachment.xero_id == xero_id))
    now = utcnow()
    online = bool(row.include_online) and row.invoice_id is not None
    if upload is None:
        upload = XeroAttachment(file_id=row.id, tenant_id=tenant_id, xero_id=xero_id, attempt_key=str(uuid4()),
                                state="pending", include_online=online, file_name=row.file_name,
                                attempted_at=now, created_by_id=user_id)
        db.session.add(upload)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # the same upload started at once elsewhere: it owns it
            return None, False
        return upload.id, False
    if upload.state == "failed":
        # That attempt is over (Xero refused, or a limit): a new one, with a new key.
        claimed = db.session.execute(update(XeroAttachment).where(
            XeroAttachment.id == upload.id, XeroAttachment.state == "failed").values(
            state="pending", attempt_key=str(uuid4()), include_online=online, attempted_at=now,
            error=None)).rowcount == 1
        db.session.commit()
        return (upload.id if claimed else None), False
    # unknown, or pending past its lease (abandoned): the same request, after a look in Xero.
    claimed = db.session.execute(update(XeroAttachment).where(XeroAttachment.id == upload.id, or_(
        XeroAttachment.state == "unknown",
        and_(XeroAttachment.state == "pending", XeroAttachment.attempted_at < now - lease_time())))
        .values(state="pending", attempted_at=now)).rowcount == 1
    db.session.commit()
    return (upload.id if claimed else None), True


def _look_in_xero(client: XeroClient, xero_id: str, name: str) -> dict | None:
    """The attachment of that name Xero has on the document, or None."""
    return next((a for a in client.get_attachments(xero_id) if a.get("FileName") == name), None)


def _sent(row: DocumentFile, online: bool) -> dict:
    """What the activity log keeps of a request: never the bytes."""
    return {"FileName": row.file_name, "MimeType": row.mime_type, "ContentLength": row.size,
            "IncludeOnline": online}


def _done(upload_id: int, owner: Owner, user_id, sent: dict, element: dict, found: bool = False) -> Upload:
    upload = db.session.get(XeroAttachment, upload_id)
    upload.state, upload.completed_at, upload.error = "done", utcnow(), None
    upload.xero_attachment_id = str(element.get("AttachmentID") or "") or None
    online = " (shown with the online invoice)" if upload.include_online else ""
    summary = (f"Found {upload.file_name} in Xero: its upload had gone through." if found
               else f"Uploaded {upload.file_name} to Xero{online}.")
    _log(owner, upload.tenant_id, user_id, "ok", summary, {"FileName": upload.file_name} if found else sent, element)
    db.session.commit()
    return Upload(upload.file_name, "done")


def _failed(upload_id: int, owner: Owner, user_id, sent: dict, message: str, said=None) -> Upload:
    db.session.rollback()
    upload = db.session.get(XeroAttachment, upload_id)
    words = " ".join(said or []) or message
    upload.state, upload.completed_at, upload.error = "failed", utcnow(), words
    _log(owner, upload.tenant_id, user_id, "error", f"{upload.file_name} was not uploaded: {words}", sent,
         said or message)
    db.session.commit()
    return Upload(upload.file_name, "failed", words)


def _unknown(upload_id: int, owner: Owner, user_id, sent: dict, error: Exception) -> Upload:
    db.session.rollback()
    upload = db.session.get(XeroAttachment, upload_id)
    upload.state = "unknown"
    upload.error = (f"Xero did not answer: {error} Retry looks in Xero first and will not upload it twice.")
    _log(owner, upload.tenant_id, user_id, "error", f"No answer to the upload of {upload.file_name}: {error}",
         sent, str(error))
    db.session.commit()
    return Upload(upload.file_name, "unknown", "Xero did not answer; Retry looks in Xero first.")


def _log(owner: Owner, tenant_id, user_id, outcome: str, summary: str, sent, answer) -> None:
    activity.record("attachment", outcome, summary, tenant_id=tenant_id, user_id=user_id,
                    invoice_id=owner.invoice_id, expense_id=owner.expense_id, request=sent, response=answer)
