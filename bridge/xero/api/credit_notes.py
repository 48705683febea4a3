"""XeroClient's credit note operations: create, update, get (one, or changed since), the PDF,
and allocations to invoices (put, delete).

A mixin of XeroClient (bridge.xero.api.client), which provides the request helpers it uses
(_api, _get_list, _iter_pages, _elements, _first). Paths and shapes follow Xero's spec
(xero_accounting.yaml: /CreditNotes, /CreditNotes/{CreditNoteID}, .../Allocations, schemas
CreditNotes and Allocations); the rules are XERO_API_NOTES.md §13.5 and §19.
"""
from datetime import date, datetime
from decimal import Decimal
from typing import Iterator

from bridge.xero.api.errors import XeroError
from bridge.xero.api import wire
from bridge.xero.api.wire import as_guid, flag

PDF = "application/pdf"


class CreditNoteCalls:
    """PUT, POST and GET /CreditNotes and their Allocations, for XeroClient."""

    def create_credit_notes(self, credit_notes: list[dict], summarize_errors: bool = False,
                            idempotency_key: str | None = None) -> list[dict]:
        """Create credit notes (PUT /CreditNotes: never updates one); raises as create_invoices."""
        if not credit_notes:
            return []
        response = self._api("PUT", "/CreditNotes", params={"summarizeErrors": flag(summarize_errors)},
                             payload={"CreditNotes": list(credit_notes)}, idempotency_key=idempotency_key)
        return self._elements(response, "CreditNotes")

    def save_credit_notes(self, credit_notes: list[dict], summarize_errors: bool = False,
                          idempotency_key: str | None = None) -> list[dict]:
        """Update credit notes by their CreditNoteID, many in one call (POST /CreditNotes,
        updateOrCreateCreditNotes); answers and raises as create_invoices."""
        if not credit_notes:
            return []
        response = self._api("POST", "/CreditNotes", params={"summarizeErrors": flag(summarize_errors)},
                             payload={"CreditNotes": list(credit_notes)}, idempotency_key=idempotency_key)
        return self._elements(response, "CreditNotes")

    def get_credit_notes_by_id(self, credit_note_ids) -> list[dict]:
        """The credit notes with these CreditNoteIDs (GET /CreditNotes has no IDs parameter:
        a where of Guid comparisons, every page)."""
        ids = [as_guid(i) for i in credit_note_ids]
        if not ids:
            return []
        where = " OR ".join(f'CreditNoteID==Guid("{i}")' for i in ids)
        return self.get_credit_notes(where=where)

    def update_credit_note(self, credit_note_id: str, payload: dict,
                           idempotency_key: str | None = None) -> dict:
        """Update one credit note by its CreditNoteID (POST /CreditNotes/{CreditNoteID})."""
        response = self._api("POST", "/CreditNotes/{CreditNoteID}",
                             path_args={"CreditNoteID": as_guid(credit_note_id)},
                             payload={"CreditNotes": [payload]}, idempotency_key=idempotency_key)
        return self._first(self._elements(response, "CreditNotes"), "credit note")

    def get_credit_note(self, credit_note_id: str) -> dict:
        """One credit note with its lines, allocations and refunds."""
        notes = self._get_list("/CreditNotes/{CreditNoteID}", "CreditNotes",
                               path_args={"CreditNoteID": as_guid(credit_note_id)})
        return self._first(notes, "credit note")

    def get_credit_notes(self, where: str | None = None, modified_since: datetime | None = None,
                         page: int | None = None, page_size: int | None = None,
                         order: str | None = None) -> list[dict]:
        """Credit notes, filtered; every page unless `page` is given."""
        params = {"where": where, "order": order}
        if page is None:
            return list(self._iter_pages("/CreditNotes", "CreditNotes", params, modified_since, page_size))
        return self._get_list("/CreditNotes", "CreditNotes", modified_since=modified_since,
                              params={**params, "page": page, "pageSize": page_size})

    def iter_credit_notes(self, modified_since: datetime | None = None,
                          page_size: int | None = None) -> Iterator[dict]:
        """Every credit note changed since, page after page."""
        return self._iter_pages("/CreditNotes", "CreditNotes", {}, modified_since, page_size)

    def get_credit_note_pdf(self, credit_note_id: str) -> bytes:
        """The credit note as Xero renders it (Accept: application/pdf), as PDF bytes."""
        op = "GET /CreditNotes/{CreditNoteID} (PDF)"
        response = self._api("GET", "/CreditNotes/{CreditNoteID}", op=op,
                             path_args={"CreditNoteID": as_guid(credit_note_id)}, accept=PDF)
        if not response.content.startswith(b"%PDF"):
            raise XeroError("Xero did not send a PDF for this credit note.", status=response.status_code,
                            operation=op, correlation_id=response.headers.get("Xero-Correlation-Id"))
        return response.content

    def allocate_credit_note(self, credit_note_id: str, invoice_id: str, amount: Decimal, on: date,
                             idempotency_key: str | None = None) -> dict:
        """Apply credit to an invoice (PUT /CreditNotes/{CreditNoteID}/Allocations); the Allocation."""
        body = {"Allocations": [{"Invoice": {"InvoiceID": as_guid(invoice_id)}, "Amount": amount, "Date": on}]}
        response = self._api("PUT", "/CreditNotes/{CreditNoteID}/Allocations",
                             path_args={"CreditNoteID": as_guid(credit_note_id)},
                             payload=body, idempotency_key=idempotency_key)
        return self._first(self._elements(response, "Allocations"), "allocation")

    def delete_allocation(self, credit_note_id: str, allocation_id: str) -> dict:
        """Remove an allocation (DELETE .../Allocations/{AllocationID}); the Allocation, IsDeleted."""
        response = self._api("DELETE", "/CreditNotes/{CreditNoteID}/Allocations/{AllocationID}",
                             path_args={"CreditNoteID": as_guid(credit_note_id),
                                        "AllocationID": as_guid(allocation_id)})
        # The spec's 200 answer is one Allocation, not an array in an envelope.
        body = wire.decode(response.content) if response.content else {}
        if isinstance(body, dict) and "Allocations" in body:
            return self._first(body.get("Allocations") or [], "allocation")
        return body
