"""The invoice PDF: Bridge's own, or Xero's when the Xero settings say Xero makes PDFs and
the invoice was copied (fetched once per copy and kept; bridge.xero.sending.documents)."""
from flask import Response, abort
from flask_login import current_user

from bridge.errors import render_error
from bridge.invoicing import bp
from bridge.invoicing.document import Issuer, invoice_pdf, pdf_filename
from bridge.billing.service import get_invoice
from bridge.models import BillingEntity
from bridge.xero.sending.documents import PdfUnavailable, xero_pdf


def issuer(entity: BillingEntity) -> Issuer:
    """The billing entity that issues the document, as the PDF prints it."""
    return Issuer(entity.name, entity.address, entity.tax_number, entity.bank_details, entity.payment_terms,
                  entity.logo)


@bp.get("/invoices/<int:invoice_id>/pdf")
def pdf(invoice_id: int):
    """Download the invoice as a PDF."""
    invoice = get_invoice(invoice_id, full=True) or abort(404)
    try:
        # A voided invoice is Bridge's own PDF stamped VOID (Xero's would show its copy unvoided
        # after a Bridge-only void).
        from_xero = None if invoice.voided else xero_pdf(invoice_id, current_user.id)
    except PdfUnavailable as error:
        return render_error(503, error.message)
    content = from_xero.content if from_xero else invoice_pdf(invoice, issuer(invoice.entity))
    return Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{pdf_filename(invoice.number)}"',
        "Cache-Control": "private, no-store",
    })
