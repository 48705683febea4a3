"""The local invoice PDF, drawn with fpdf2 and the core Helvetica font.

Core fonts only know Windows-1252 (WinAnsiEncoding), so every text goes through
pdf_text: accents that fall outside it lose their accent, anything else becomes '?'.
"""
import re
import unicodedata
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from bridge.formatting import day, money

ENCODING = "cp1252"
# Letters with no Unicode decomposition that still have an obvious plain form.
_FALLBACKS = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})
GREY = (91, 100, 117)
LINE_HEIGHT, CELL_PADDING = 5, 1.5  # mm, in the lines table
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
    """The lines table; long descriptions wrap and the header repeats on new pages.

    Drawn cell by cell rather than with fpdf2's table(), which lays every cell out twice with
    its line breaker (an invoice of 200 lines took 850 ms; bench/invoice_size_bench.py): here
    only the description is wrapped, once, and every other cell is one or two plain lines.
    """
    pdf.set_font("Helvetica", size=9)
    _line_headings(pdf)
    for line in invoice.lines:
        description = _wrapped(pdf, pdf_text(line.description), _widths(pdf)[0] - 2 * CELL_PADDING) + ([pdf_text(line.service_type.name)] if line.service_type is not None else [])
        tax = ([pdf_text(line.tax_rate.name)] if line.tax_rate is not None else []) + [money(line.tax_amount)]
        discount = f"{_plain(line.discount_percent)} %" if line.discount_percent else ""
        cells = [description, [_plain(line.quantity)], [money(line.unit_price)], [discount], tax,
                 [money(line.net_amount)]]
        height = max(len(texts) for texts in cells) * LINE_HEIGHT + 2 * CELL_PADDING
        if pdf.will_page_break(height):
            pdf.add_page()
            _line_headings(pdf)
        _line_row(pdf, cells, height)
    pdf.ln(3)


def _wrapped(pdf: FPDF, text: str, width: float) -> list[str]:
    """The text's lines in `width`, broken between words (each word measured once; fpdf2's
    own line breaker measures every character again for each try). A word wider than the
    column is left to fpdf2, which cuts it."""
    space, lines = pdf.get_string_width(" "), []
    for paragraph in text.split("\n"):
        line, used = [], 0.0
        for word in paragraph.split(" "):
            size = pdf.get_string_width(word)
            if size > width:
                return pdf.multi_cell(width, LINE_HEIGHT, text, dry_run=True, output=MethodReturnValue.LINES)
            if line and used + space + size > width:
                lines.append(" ".join(line))
                line, used = [], 0.0
            used += (space if line else 0) + size
            line.append(word)
        lines.append(" ".join(line))
    return lines


def _widths(pdf: FPDF) -> list[float]:
    """LINE_COLUMNS' widths (parts of the whole) in mm across the page between the margins."""
    total = sum(width for _, width, _ in LINE_COLUMNS)
    return [width * pdf.epw / total for _, width, _ in LINE_COLUMNS]


def _line_headings(pdf: FPDF) -> None:
    """The table's heading row, bold on a light fill."""
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(238, 241, 246)
    _line_row(pdf, [[name] for name, _, _ in LINE_COLUMNS], LINE_HEIGHT + 2 * CELL_PADDING, fill=True)
    pdf.set_font("Helvetica", size=9)


def _line_row(pdf: FPDF, cells: list[list[str]], height: float, fill: bool = False) -> None:
    """One row: each column's lines top-aligned in its cell, a rule under the row."""
    top, x = pdf.get_y(), pdf.l_margin
    if fill:
        pdf.rect(x, top, pdf.epw, height, style="F")
    # pdf.text() draws at a baseline with no layout work, where cell() costs ~0.3 ms; the
    # baseline sits where cell() puts it (half the line plus 0.3 of the font size).
    baseline = top + CELL_PADDING + LINE_HEIGHT / 2 + 0.3 * pdf.font_size
    for texts, width, (_, _, align) in zip(cells, _widths(pdf), LINE_COLUMNS):
        for n, text in enumerate(texts):
            if text:
                left = x + width - CELL_PADDING - pdf.get_string_width(text) if align == "RIGHT" else x + CELL_PADDING
                pdf.text(left, baseline + n * LINE_HEIGHT, text)
        x += width
    pdf.line(pdf.l_margin, top + height, pdf.l_margin + pdf.epw, top + height)
    pdf.set_xy(pdf.l_margin, top + height)


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
