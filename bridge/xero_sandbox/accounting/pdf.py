"""The PDF Xero renders for `Accept: application/pdf` on an invoice, bill or credit note,
made with fpdf2 (a credit note's totals end with what is applied and its remaining credit).

Any status renders, drafts included (UNCONFIRMED whether Xero renders drafts, notes §11).
The branding theme decides the look of Xero's PDF (notes §19); the sandbox has one look and
prints the theme's name instead (the organisation's default theme when the document names none).
"""
from fpdf import FPDF
from flask import Response

from bridge.xero_sandbox import wire
from bridge.xero_sandbox.accounting.themes import document_theme
from bridge.xero_sandbox.db import Invoice, Organisation

TITLES = {"ACCREC": "TAX INVOICE", "ACCPAY": "BILL", "ACCRECCREDIT": "CREDIT NOTE",
          "ACCPAYCREDIT": "CREDIT NOTE"}
COLUMNS = ((78, "Description", "L"), (20, "Quantity", "R"), (26, "Unit Price", "R"),
           (22, "Tax", "R"), (30, "Amount", "R"))


def _text(value) -> str:
    """Core PDF fonts are Latin-1: replace what they cannot draw."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _header(page: FPDF, invoice: Invoice, org: Organisation) -> None:
    """Title, sandbox mark, parties, number and dates."""
    page.set_font("Helvetica", "B", 20)
    page.cell(0, 10, TITLES.get(invoice.type, "INVOICE"), new_x="LMARGIN", new_y="NEXT")
    page.set_font("Helvetica", "", 8)
    page.set_text_color(0, 128, 128)
    page.cell(0, 5, "Rendered by the Xero sandbox - not a real Xero document",
              new_x="LMARGIN", new_y="NEXT")
    page.set_text_color(0, 0, 0)
    page.ln(4)
    page.set_font("Helvetica", "", 10)
    rows = [
        ("From", org.name), ("To", invoice.contact.name if invoice.contact else ""),
        ("Number", invoice.number or "-"), ("Reference", invoice.reference or "-"),
        ("Date", invoice.date.isoformat()),
        ("Due date", invoice.due_date.isoformat() if invoice.due_date else "-"),
        ("Status", invoice.status), ("Currency", invoice.currency_code),
    ]
    theme = document_theme(invoice)
    if theme is not None:
        rows.append(("Theme", theme.name))
    for label, value in rows:
        page.cell(30, 6, _text(label))
        page.cell(0, 6, _text(value), new_x="LMARGIN", new_y="NEXT")
    page.ln(4)


def _lines(page: FPDF, invoice: Invoice) -> None:
    """The line items table."""
    page.set_font("Helvetica", "B", 10)
    for width, title, align in COLUMNS:
        page.cell(width, 7, title, border="B", align=align)
    page.ln()
    page.set_font("Helvetica", "", 10)
    for line in invoice.lines:
        values = (line.description[:48], wire.places(line.quantity, 2), wire.money(line.unit_amount),
                  wire.money(line.tax_amount), wire.money(line.line_amount))
        for (width, _title, align), value in zip(COLUMNS, values):
            page.cell(width, 7, _text(value), align=align)
        page.ln()
    page.ln(3)


def _totals(page: FPDF, invoice: Invoice) -> None:
    """Subtotal, tax, total, paid, credited and due (a credit note: allocated, refunded and
    remaining credit)."""
    rows = [("Subtotal", invoice.sub_total), ("Total tax", invoice.total_tax),
            ("Total", invoice.total)]
    note = invoice.is_credit_note
    if invoice.amount_paid:
        rows.append(("Less refunded" if note else "Less amount paid", invoice.amount_paid))
    if invoice.amount_credited:
        rows.append(("Less allocated to invoices" if note else "Less credits", invoice.amount_credited))
    label = "Remaining credit" if note else "Amount due"
    rows.append((f"{label} {invoice.currency_code}", invoice.amount_due))
    for index, (label, value) in enumerate(rows):
        page.set_font("Helvetica", "B" if index == len(rows) - 1 else "", 10)
        page.cell(146, 7, label, align="R")
        page.cell(30, 7, _text(wire.money(value)), align="R", new_x="LMARGIN", new_y="NEXT")


def render(invoice: Invoice, org: Organisation) -> bytes:
    """The document as PDF bytes."""
    page = FPDF(format="A4")
    page.set_title(_text(f"{TITLES.get(invoice.type, 'Invoice')} {invoice.number}"))
    page.set_creator("Xero sandbox")
    page.add_page()
    _header(page, invoice, org)
    _lines(page, invoice)
    _totals(page, invoice)
    return bytes(page.output())


def invoice_pdf(invoice: Invoice, org: Organisation) -> Response:
    """The PDF response."""
    filename = f"{invoice.number or invoice.id}.pdf"
    return Response(render(invoice, org), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})
