"""XeroClient's attachment operations: upload a file to an invoice or bill, list its files.

A mixin of XeroClient (bridge.xero.api.client), which provides the request helpers it
uses (_api, _get_list, _elements, _first); kept apart so that each module stays short.
Limits (10 per document, 10 MB per file, XERO_API_NOTES.md §19) are checked by the callers
before any call (bridge.billing.files, bridge.xero.sending.attachments).
"""
from bridge.xero.api.wire import as_guid, flag


class AttachmentCalls:
    """PUT and GET /Invoices/{InvoiceID}/Attachments, for XeroClient."""

    def upload_attachment(self, invoice_id: str, file_name: str, content: bytes, *,
                          include_online: bool = False, idempotency_key: str | None = None) -> dict:
        """Attach a file to an invoice or bill (PUT …/Attachments/{FileName}); Xero's Attachment.

        The body is the file's bytes as application/octet-stream: the spec's request body
        (xero_accounting.yaml, createInvoiceAttachmentByFileName) is followed where the notes
        (§19) say "the file's type"; Xero takes the type from the file name's extension.
        """
        response = self._api("PUT", "/Invoices/{InvoiceID}/Attachments/{FileName}",
                             path_args={"InvoiceID": as_guid(invoice_id), "FileName": file_name},
                             params={"IncludeOnline": flag(True) if include_online else None},
                             content=content, idempotency_key=idempotency_key)
        return self._first(self._elements(response, "Attachments"), "attachment")

    def get_attachments(self, invoice_id: str) -> list[dict]:
        """The attachments of an invoice or bill (names, sizes; not their bytes)."""
        return self._get_list("/Invoices/{InvoiceID}/Attachments", "Attachments",
                              path_args={"InvoiceID": as_guid(invoice_id)})
