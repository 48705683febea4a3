"""The local invoice PDF, drawn with fpdf2 and the core Helvetica font.

Core fonts only know Windows-1252 (WinAnsiEncoding), so every text goes through
pdf_text: accents that fall outside it lose their accent, anything else becomes '?'.
"""
import re
import unicodedata
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from bridge.formatting import day, money

ENCODING = "cp1252"
# Letters with no Unicode decomposition that still have an obvious plain form.
_FALLBACKS = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})
GREY = (91, 100, 117)
LINE_COLUMNS = (("Description", 68, "LEFT"), ("Qty", 16, "RIGHT"), ("Unit price", 26, "RIGHT"),
                ("Disc.", 14, "RIGHT"), ("Tax", 30, "RIGHT"), ("Net", 36, "RIGHT"))


def pdf_text(value) -> str:
    """`value` as text Helvetica can draw: unsupported characters simplified or replaced by '?'."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value)).translate(_FALLBACKS)
    try:
        text.encode(ENCODING)
        return text
    except UnicodeEncodeError:
        return "".join(_drawable(char) for char in text)


def _drawable(char: str) -> str:
    """One character as cp1252 can hold it: itself, its unaccented base, or '?'."""
    try:
        char.encode(ENCODING)
        return char
    except UnicodeEncodeError:
        pass
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    try:
        base.encode(ENCODING)
        return base or "?"
    except UnicodeEncodeError:
        return "?"


def pdf_filename(number: str) -> str:
    """invoice-<number>.pdf with anything unsafe in a header or a file system replaced."""
    return f"invoice-{re.sub(r'[^A-Za-z0-9._-]+', '-', number).strip('-') or 'draft'}.pdf"


def _plain(value: Decimal) -> str:
    """2.5000 -> '2.5'."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text == "-0" else text


class InvoicePDF(FPDF):
    """A4 page with the invoice number and page count in the footer."""

    footer_text = ""

    def footer(self):
        """Drawn by fpdf2 at the bottom of every page."""
        self.set_y(-14)
        self.set_font("Helvetica", size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.footer_text}  -  page {self.page_no()}/{{nb}}", align="C")


def invoice_pdf(invoice, issuer: str = "Bridge", compress: bool = True) -> bytes:
    """The PDF of an invoice (models.Invoice with client, lines and their rates loaded)."""
    pdf = InvoicePDF(format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_compression(compress)
    pdf.footer_text = pdf_text(f"{issuer} - invoice {invoice.number}")
    pdf.set_title(pdf_text(f"Invoice {invoice.number}"))
    pdf.set_author(pdf_text(issuer))
    pdf.set_creator("Bridge")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    _header(pdf, invoice, issuer)
    _bill_to(pdf, invoice)
    _lines(pdf, invoice)
    _totals(pdf, invoice)
    _notes(pdf, invoice)
    return bytes(pdf.output())


def _header(pdf: FPDF, invoice, issuer: str) -> None:
    """Issuer on the left; INVOICE, number and dates on the right."""
    top = pdf.get_y()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(90, 10, pdf_text(issuer))
    pdf.set_xy(105, top)
    pdf.cell(90, 10, "INVOICE", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    facts = [("Number", invoice.number), ("Issue date", day(invoice.issue_date)),
             ("Due date", day(invoice.due_date))]
    if invoice.purchase_order_number:
        facts.append(("Purchase order", invoice.purchase_order_number))
    for label, value in facts:
        pdf.set_x(105)
        pdf.set_font("Helvetica", size=9)
        pdf.set_text_color(*GREY)
        pdf.cell(40, 5.5, label, align="R")
        pdf.set_text_color(0)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(50, 5.5, pdf_text(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)


def _bill_to(pdf: FPDF, invoice) -> None:
    """The client's name, address, tax number and email, then the subject."""
    client = invoice.client
    pdf.set_font("Helvetica", size=8)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 5, "BILL TO", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(100, 6, pdf_text(client.name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9.5)
    details = [client.address, f"Tax number: {client.tax_number}" if client.tax_number else None, client.email]
    for detail in filter(None, details):
        pdf.multi_cell(100, 5, pdf_text(detail), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(5)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, pdf_text(invoice.subject), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _lines(pdf: FPDF, invoice) -> None:
    """The lines table; long descriptions wrap and the header repeats on new pages."""
    pdf.set_font("Helvetica", size=9)
    headings = FontFace(emphasis="BOLD", fill_color=(238, 241, 246))
    with pdf.table(
        col_widths=tuple(width for _, width, _ in LINE_COLUMNS),
        text_align=tuple(align for _, _, align in LINE_COLUMNS),
        headings_style=headings, borders_layout="HORIZONTAL_LINES", line_height=5, padding=1.5,
    ) as table:
        table.row([name for name, _, _ in LINE_COLUMNS])
        for line in invoice.lines:
            description = line.description
            if line.service_type is not None:
                description += f"\n{line.service_type.name}"
            tax = money(line.tax_amount)
            if line.tax_rate is not None:
                tax = f"{line.tax_rate.name}\n{tax}"
            discount = f"{_plain(line.discount_percent)} %" if line.discount_percent else ""
            table.row([pdf_text(description), _plain(line.quantity), money(line.unit_price),
                       discount, pdf_text(tax), money(line.net_amount)])
    pdf.ln(3)


def _totals(pdf: FPDF, invoice) -> None:
    """Subtotal, tax and total, right-aligned, the total in the invoice currency."""
    rows = [("Subtotal", money(invoice.subtotal), ""), ("Tax", money(invoice.tax_total), ""),
            ("Total", money(invoice.total, invoice.currency), "B")]
    if invoice.amount_paid:
        rows.append(("Amount due", money(invoice.amount_due, invoice.currency), "B"))
    for label, amount, style in rows:
        pdf.set_x(105)
        pdf.set_font("Helvetica", style, 10)
        pdf.cell(50, 6.5, label, align="R")
        pdf.cell(40, 6.5, pdf_text(amount), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)


def _notes(pdf: FPDF, invoice) -> None:
    """The invoice notes, if any, under the totals."""
    if not invoice.notes:
        return
    pdf.set_font("Helvetica", size=8)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 5, "NOTES", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_font("Helvetica", size=9.5)
    pdf.multi_cell(0, 5, pdf_text(invoice.notes), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
