"""The invoice PDF made by Bridge (the Xero one comes with the integration)."""
from flask import Response, abort

from bridge.invoicing import bp
from bridge.invoicing.document import invoice_pdf, pdf_filename
from bridge.invoicing.service import get_invoice

# The issuer printed on our PDFs, until the workspace settings hold a company profile.
ISSUER = "Bridge"


@bp.get("/invoices/<int:invoice_id>/pdf")
def pdf(invoice_id: int):
    """Download the invoice as a PDF."""
    invoice = get_invoice(invoice_id, full=True) or abort(404)
    return Response(invoice_pdf(invoice, issuer=ISSUER), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{pdf_filename(invoice.number)}"',
        "Cache-Control": "private, no-store",
    })
