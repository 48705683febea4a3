"""Files kept with a document: an invoice's supporting files, an expense's receipts.

PDF, PNG or JPEG only, judged by the bytes (the extension must agree with them), at most
ATTACHMENT_MAX_BYTES each and MAX_PER_DOCUMENT per document (Xero's limits, XERO_API_NOTES.md
§19, checked here so nothing Xero would refuse is ever kept). The bytes go to
ATTACHMENTS_FOLDER under a random name; the row and the file are written together: the file
first, then the row's commit, and a failed commit removes the file.
"""
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bridge.extensions import db
from bridge.models import DocumentFile

# Xero keeps at most 10 attachments per document (notes §19, reported).
MAX_PER_DOCUMENT = 10
# The types taken, by their first bytes, with the extensions each may carry (the first is used
# when the name has none of them).
TYPES = {
    "application/pdf": (b"%PDF-", ("pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", ("png",)),
    "image/jpeg": (b"\xff\xd8\xff", ("jpg", "jpeg")),
}
LABELS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
NAME_MAX = 100
CHUNK = 64 * 1024


class FileRefused(Exception):
    """The file cannot be kept; `message` says why, for the upload field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Owner:
    """The document a file belongs to: an invoice or an expense."""

    invoice_id: int | None = None
    expense_id: int | None = None

    @property
    def condition(self):
        if self.invoice_id is not None:
            return DocumentFile.invoice_id == self.invoice_id
        return DocumentFile.expense_id == self.expense_id

    @property
    def noun(self) -> str:
        return "invoice" if self.invoice_id is not None else "expense"


def folder() -> Path:
    """Where the files are kept (made when missing)."""
    path = Path(current_app.config["ATTACHMENTS_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def readable_size(size: int) -> str:
    """1,234 bytes as people read it: 1.2 KB, 3.4 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def files_of(owner: Owner) -> list[DocumentFile]:
    """The document's files, oldest first."""
    return list(db.session.scalars(select(DocumentFile).where(owner.condition).order_by(DocumentFile.id)))


def sniff(head: bytes) -> str | None:
    """The type the bytes are (PDF, PNG, JPEG), or None."""
    return next((mime for mime, (magic, _) in TYPES.items() if head.startswith(magic)), None)


def safe_name(name: str, mime: str) -> str:
    """A name safe in a path, a header and Xero's URL: ASCII letters, digits, ' ', '.', '-',
    '_', '(' and ')'; no folders; ending in an extension of the file's real type."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9 ._()\-]+", "_", base).strip(" ._")
    stem, dot, extension = base.rpartition(".")
    extensions = TYPES[mime][1]
    if not dot or extension.lower() not in extensions:
        stem, extension = base, extensions[0]
    stem = (stem.strip(" ._") or "file")[:NAME_MAX - 6]
    return f"{stem}.{extension.lower()}"


def _unique(owner: Owner, name: str) -> str:
    """name, or name (2), name (3)… when the document has a file of that name already."""
    taken = set(db.session.scalars(select(DocumentFile.file_name).where(owner.condition)))
    stem, _, extension = name.rpartition(".")
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem} ({n}).{extension}"
    return candidate


def add(owner: Owner, stream: BinaryIO, name: str, *, user_id: int | None,
        include_online: bool = False) -> DocumentFile:
    """Keep an uploaded file with the document, or FileRefused (nothing kept) with why."""
    count = db.session.scalar(select(func.count(DocumentFile.id)).where(owner.condition))
    if count >= MAX_PER_DOCUMENT:
        raise FileRefused(f"This {owner.noun} has {count} files already: Xero takes at most "
                          f"{MAX_PER_DOCUMENT} per document. Delete one first.")
    extension = name.rpartition(".")[2].lower() if "." in (name or "") else ""
    head = stream.read(16)
    mime = sniff(head)
    if mime is None:
        raise FileRefused("Choose a PDF, PNG or JPEG file: this file is none of them "
                          "(its contents were checked, not only its name).")
    if extension and extension not in TYPES[mime][1]:
        raise FileRefused(f"This file is a {LABELS[mime]} but its name ends in .{extension}: "
                          "rename it to match what it is, then upload it again.")
    stored_name = f"{uuid.uuid4().hex}.{TYPES[mime][1][0]}"
    path = folder() / stored_name
    limit, size = max_bytes(), 0
    try:
        with open(path, "xb") as out:
            os.chmod(path, 0o600)
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise FileRefused(f"This file is larger than {readable_size(limit)}, the most "
                                      "Bridge sends to Xero per file.")
                out.write(chunk)
                chunk = stream.read(CHUNK)
        row = DocumentFile(invoice_id=owner.invoice_id, expense_id=owner.expense_id,
                           file_name=_unique(owner, safe_name(name, mime)), stored_name=stored_name,
                           mime_type=mime, size=size, include_online=include_online,
                           uploaded_by_id=user_id)
        db.session.add(row)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise FileRefused("Another file of that name was just added: upload it again.") from None
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return row


def path_of(row: DocumentFile) -> Path:
    """Where the file's bytes are."""
    return folder() / row.stored_name


def read(row: DocumentFile) -> bytes:
    """The file's bytes."""
    return path_of(row).read_bytes()


def in_xero(row: DocumentFile) -> bool:
    """Whether the file reached Xero, or may have (an upload whose answer was lost)."""
    return any(upload.state in ("done", "unknown", "pending") for upload in row.uploads)


def delete(row: DocumentFile) -> None:
    """Remove a file that never reached Xero (FileRefused after: it stays in Xero)."""
    if in_xero(row):
        raise FileRefused(f"{row.file_name} was uploaded to Xero, where it stays: Bridge keeps it too. "
                          "Remove it in Xero if it should go.")
    path = path_of(row)
    for upload in list(row.uploads):  # refused by Xero: history of nothing sent
        db.session.delete(upload)
    db.session.delete(row)
    db.session.commit()
    path.unlink(missing_ok=True)


def forget_all(owner: Owner) -> list[Path]:
    """Drop every file row of a document being deleted (with its uploads' records); the stored
    paths, to unlink once the caller has committed (a failed commit keeps them)."""
    rows = files_of(owner)
    paths = [path_of(row) for row in rows]
    for row in rows:
        for upload in list(row.uploads):
            db.session.delete(upload)
        db.session.delete(row)
    db.session.flush()
    return paths


def unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def set_online(owner: Owner, chosen: dict[int, bool]) -> None:
    """Keep the copy modal's "show with the online invoice" choice per file (the next default)."""
    for row in files_of(owner):
        if row.id in chosen and row.include_online != chosen[row.id]:
            row.include_online = chosen[row.id]
    db.session.commit()
