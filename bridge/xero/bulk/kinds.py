"""What one kind of document brings to a bulk copy, registered by its package when it loads
(bridge.xero.invoices.bulk.kind, bridge.xero.credit_notes.bulk); the job's `kind` names it.

The machinery (plan.py, jobs.py, batches.py) owns the job, the rows, the batches, the
exactly-once keys, the recovery and the lease; a kind says which of its documents can go and
why not (sort), what each row sends (prepare, update_payload), Xero's batch calls (create,
save, get, candidates + match_key to find a lost batch), and what follows Xero's answer
(finish per document, after once every batch went: notes, files, allocations), and which
billing entity each document belongs to (entities: one job per entity's organisation).

A sorted item has `.document`, `.action` ("create" or "update") and `.target` (the copy an
update changes); a blocked one `.document`, `.reason` and `.fix` ("setup" or "document").
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class BulkKind:
    name: str             # XeroCopyJob.kind: "invoice" or "credit_note"
    noun: str             # in words: "invoice", "credit note"
    model: type           # Invoice, CreditNote
    column: str           # XeroCopy's column naming the document: "invoice_id", "credit_note_id"
    number_field: str     # the number in a payload: "InvoiceNumber", "CreditNoteNumber"
    id_field: str         # Xero's id in an answer: "InvoiceID", "CreditNoteID"
    # (ids, tenant_id, readiness, job_id) -> (items that can go, blocked), in the order given
    sort: Callable
    # (run, item, row) -> None, or why it cannot go: fill a new pending row (contact, payload)
    prepare: Callable
    # (run, item, row, Xero's current document) -> the update's payload
    update_payload: Callable
    # (client, payloads, idempotency_key) -> Xero's elements, in order (summarizeErrors=false)
    create: Callable
    save: Callable
    # (client, xero ids) -> Xero's documents
    get: Callable
    # (client, since) -> Xero's documents a lost create may be among; match_key(payload or
    # Xero's document) -> what ties them to a row (None: not a match)
    candidates: Callable
    match_key: Callable
    # (run, row, element, operation) -> None: after mark_done, record what follows (activity...)
    finish: Callable
    # (row) -> the activity log's document ids for a row
    activity_ids: Callable
    # (ids) -> {id: its billing entity's id}: a selection goes as one job per entity
    entities: Callable
    # (run) -> None: before the batches (contacts), and after every batch (notes, files, allocations)
    before: Callable | None = None
    after: Callable | None = None
    # (ready items, tenant_id) -> names of clients Bridge will find or create a Xero contact for
    new_contacts: Callable | None = None
    # the endpoint of the document's page, and its id argument
    endpoint: str = "invoicing.show"
    endpoint_arg: str = "invoice_id"

    @property
    def plural(self) -> str:
        return self.noun + "s"


KINDS: dict[str, BulkKind] = {}


def register(kind: BulkKind) -> None:
    """Make a kind known to the bulk machinery (once, when its package loads)."""
    KINDS[kind.name] = kind


def kind_of(name: str | None) -> BulkKind:
    """The registered kind (an invoice job when the name is empty)."""
    try:
        return KINDS[name or "invoice"]
    except KeyError:
        raise LookupError(f"No bulk copy kind {name!r} registered: import its bridge.xero package.") from None


def document_id(row, kind: BulkKind) -> int | None:
    """The id of the row's document of this kind."""
    return getattr(row, kind.column)
