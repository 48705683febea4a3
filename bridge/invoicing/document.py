"""The local invoice PDF, drawn with fpdf2 and the core Helvetica font: the issuing
billing entity (Settings > Billing entities) with its logo, the client, the lines, a tax summary per
rate, the totals and how to pay. A credit note is drawn with the same layout (credit_note_pdf):
titled CREDIT NOTE, with the invoice it credits among its facts, its reason, and its total credit.

Core fonts only know Windows-1252 (WinAnsiEncoding), so every text goes through
pdf_text: accents that fall outside it lose their accent, anything else becomes '?'.
"""
import re
from collections import defaultdict
from decimal import Decimal
from functools import cache
from io import BytesIO
from types import SimpleNamespace
from typing import NamedTuple

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from PIL import Image

from bridge.formatting import day, money, number, percent
from bridge.invoicing.pdf_text import ENCODING, cell_text, pdf_text, wrapped

# Letters with no Unicode decomposition that still have an obvious plain form.
GREY = (91, 100, 117)
RULE = (214, 219, 227)
VOID_RED = (190, 30, 45)
SHADE = (242, 244, 248)
LEFT, RIGHT, WIDTH = 15, 195, 180
LINE_COLUMNS = (("Description", 76, "LEFT"), ("Qty", 16, "RIGHT"), ("Unit price", 26, "RIGHT"),
                ("Disc.", 14, "RIGHT"), ("Tax rate", 20, "RIGHT"), ("Amount", 28, "RIGHT"))
LOGO_BOX = (60, 24)  # the largest logo, width x height in mm


class Issuer(NamedTuple):
    """Who issues the invoice: its billing entity (every field optional)."""

    name: str | None = None
    address: str | None = None
    tax_number: str | None = None
    bank_details: str | None = None
    payment_terms: str | None = None
    logo: bytes | None = None


def pdf_filename(number: str, kind: str = "invoice") -> str:
    """invoice-<number>.pdf (or credit-note-...) with anything unsafe in a header or a file system replaced."""
    return f"{kind}-{re.sub(r'[^A-Za-z0-9._-]+', '-', number).strip('-') or 'draft'}.pdf"


class InvoicePDF(FPDF):
    """A4 page with the issuer, the invoice number and the page count in the footer."""

    footer_text = ""
    # A voided invoice: every page is stamped VOID across its middle.
    void = False

    def header(self):
        """Drawn by fpdf2 at the top of every page, before its content: the VOID stamp."""
        if not self.void:
            return
        self.set_font("Helvetica", "B", 110)
        self.set_text_color(*VOID_RED)
        with self.local_context(fill_opacity=0.18, text_color=VOID_RED):
            with self.rotation(35, x=105, y=150):
                self.text(42, 175, "VOID")
        self.set_text_color(0)
        self.set_xy(LEFT, 15)

    def footer(self):
        """Drawn by fpdf2 at the bottom of every page."""
        self.set_y(-13)
        self.set_draw_color(*RULE)
        self.line(LEFT, self.get_y() - 1.5, RIGHT, self.get_y() - 1.5)
        self.set_font("Helvetica", size=7.5)
        self.set_text_color(*GREY)
        self.cell(WIDTH / 2, 5, self.footer_text)
        self.cell(WIDTH / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")


class Heading(NamedTuple):
    """What names the document: its title, what it is called in the footer, its facts."""

    title: str
    name: str
    facts: list


def invoice_facts(invoice) -> list:
    facts = [("Invoice number", invoice.number), ("Issue date", day(invoice.issue_date)),
             ("Due date", day(invoice.due_date))]
    if invoice.purchase_order_number:
        facts.append(("Purchase order", invoice.purchase_order_number))
    return facts


def invoice_pdf(invoice, issuer: Issuer = Issuer(), compress: bool = True) -> bytes:
    """The PDF of an invoice (models.Invoice with client, lines and their rates loaded)."""
    return _document_pdf(invoice, issuer, compress, Heading("INVOICE", "Invoice", invoice_facts(invoice)))


def credit_note_pdf(note, issuer: Issuer = Issuer(), compress: bool = True) -> bytes:
    """The PDF of a credit note (models.CreditNote with its invoice, client and lines loaded):
    the invoice's layout, titled CREDIT NOTE, referring to the invoice it credits."""
    invoice = note.invoice
    invoice_number = invoice.xero_number or invoice.number
    facts = [("Credit note number", note.number), ("Date", day(note.issue_date)),
             ("Credits invoice", invoice_number), ("Invoice date", day(invoice.issue_date))]
    if invoice.purchase_order_number:
        facts.append(("Purchase order", invoice.purchase_order_number))
    view = SimpleNamespace(
        number=note.number, client=invoice.client, subject=f"Credit for invoice {invoice_number}: {invoice.subject}",
        currency=note.currency, lines=note.lines, subtotal=note.subtotal, tax_total=note.tax_total,
        total=note.total, notes=None, reason=note.reason, credit=True)
    return _document_pdf(view, issuer, compress, Heading("CREDIT NOTE", "Credit note", facts))


def _document_pdf(invoice, issuer: Issuer, compress: bool, heading: Heading) -> bytes:
    name = issuer.name or ""
    pdf = InvoicePDF(format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_compression(compress)
    pdf.void = bool(getattr(invoice, "voided", False))
    footer = [name, f"Tax number {issuer.tax_number}" if issuer.tax_number else "", f"{heading.name} {invoice.number}"]
    pdf.footer_text = pdf_text("  |  ".join(part for part in footer if part))
    pdf.set_title(pdf_text(f"{heading.name} {invoice.number}"))
    pdf.set_author(pdf_text(name or "Bridge"))
    pdf.set_creator("Bridge")
    pdf.set_margins(LEFT, 15, LEFT)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    _header(pdf, heading, issuer)
    _parties(pdf, invoice, issuer)
    _lines(pdf, invoice)
    _summary(pdf, invoice)
    _payment(pdf, invoice, issuer)
    return bytes(pdf.output())


def _label(pdf: FPDF, text: str, width: float = 0, align: str = "L") -> None:
    """A small grey capitalised caption on its own line."""
    pdf.set_font("Helvetica", "B", 7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(width, 5, text.upper(), align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0)


def _logo(pdf: FPDF, logo: bytes) -> float:
    """Draw the logo at the top left within LOGO_BOX; its height in mm (0 when unreadable)."""
    try:
        with Image.open(BytesIO(logo)) as image:
            width, height = image.size
        scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height)
        pdf.image(BytesIO(logo), x=LEFT, y=pdf.get_y(), w=width * scale, h=height * scale)
    except Exception:  # a logo that cannot be drawn never stops the invoice
        return 0
    return height * scale


def _header(pdf: FPDF, heading: Heading, issuer: Issuer) -> None:
    """Logo (or the issuer's name) on the left; INVOICE (or CREDIT NOTE), number and dates on the right."""
    top = pdf.get_y()
    logo_height = _logo(pdf, issuer.logo) if issuer.logo else 0
    if not logo_height:
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(95, 8, pdf_text(issuer.name or ""), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        logo_height = pdf.get_y() - top
    pdf.set_xy(115, top)
    pdf.set_font("Helvetica", "B", 22)
    pdf.set_text_color(31, 41, 55)
    pdf.cell(80, 10, heading.title, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if pdf.void:
        pdf.set_x(115)
        pdf.set_font("Helvetica", "B", 11)
        pdf.set_text_color(*VOID_RED)
        pdf.cell(80, 6, "VOID - nothing is owed on it", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.ln(1)
    for label, value in heading.facts:
        pdf.set_x(115)
        pdf.set_font("Helvetica", size=9)
        pdf.set_text_color(*GREY)
        pdf.cell(40, 5.5, label, align="R")
        pdf.set_text_color(0)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(40, 5.5, pdf_text(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + logo_height) + 8)


def _block(pdf: FPDF, x: float, width: float, title: str, name: str | None, details) -> float:
    """A captioned block of a name in bold and detail lines; the y where it ends."""
    pdf.set_x(x)
    _label(pdf, title, width)
    pdf.set_font("Helvetica", "B", 10.5)
    if name:
        pdf.multi_cell(width, 5.5, pdf_text(name), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    for detail in filter(None, details):
        pdf.multi_cell(width, 4.6, pdf_text(detail), new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _parties(pdf: FPDF, invoice, issuer: Issuer) -> None:
    """The issuer (From) and the client (Bill to) side by side, then the subject."""
    client, top = invoice.client, pdf.get_y()
    bottoms = [_block(pdf, 115, 80, "Bill to", client.name, [
        client.address, f"Tax number {client.tax_number}" if client.tax_number else None, client.email])]
    if issuer.name or issuer.address or issuer.tax_number:
        pdf.set_xy(LEFT, top)
        bottoms.append(_block(pdf, LEFT, 85, "From", issuer.name, [
            issuer.address, f"Tax number {issuer.tax_number}" if issuer.tax_number else None]))
    pdf.set_xy(LEFT, max(bottoms) + 8)
    _label(pdf, "Subject")
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, pdf_text(invoice.subject), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


LINE_HEIGHT, PAD = 4.6, 1.8


def _line_headings(pdf: FPDF, invoice) -> None:
    """The lines table's heading row (again at the top of each new page)."""
    pdf.set_font("Helvetica", "B", 8.5)
    pdf.set_fill_color(*SHADE)
    for name, width, align in LINE_COLUMNS:
        text = f"{name} ({invoice.currency})" if name == "Amount" else name
        pdf.cell(width, LINE_HEIGHT + 2 * PAD, f" {text} " if align == "LEFT" else f"{text} ",
                 align=align[0], fill=True)
    pdf.ln(LINE_HEIGHT + 2 * PAD)


def _lines(pdf: FPDF, invoice) -> None:
    """The lines table, drawn cell by cell: long descriptions wrap (the service type below, in
    grey), rows never split across pages and the headings repeat on each new page."""
    pdf.set_draw_color(*RULE)
    _line_headings(pdf, invoice)
    description_width = LINE_COLUMNS[0][1] - 2 * PAD
    percents = cache(percent)  # the same few rates and discounts on every line
    for line in invoice.lines:
        pdf.set_font("Helvetica", size=9)
        texts = wrapped(pdf, pdf_text(line.description), description_width)
        kind = [pdf_text(line.service_type.name)] if line.service_type is not None else []
        height = (len(texts) + len(kind)) * LINE_HEIGHT + 2 * PAD
        if pdf.will_page_break(height):
            pdf.add_page()
            _line_headings(pdf, invoice)
            pdf.set_font("Helvetica", size=9)
        top = pdf.get_y()
        for row, text in enumerate(texts):
            cell_text(pdf, LEFT + PAD, top + PAD + row * LINE_HEIGHT, description_width, LINE_HEIGHT,
                      text)
        if kind:
            pdf.set_text_color(*GREY)
            cell_text(pdf, LEFT + PAD, top + PAD + len(texts) * LINE_HEIGHT, description_width,
                      LINE_HEIGHT, kind[0][:80])
            pdf.set_text_color(0)
        rate = percents(line.tax_rate.percentage) if line.tax_rate is not None else "-"
        discount = percents(line.discount_percent) if line.discount_percent else ""
        values = (number(line.quantity), pdf_text(money(line.unit_price)), discount, rate,
                  pdf_text(money(line.net_amount)))
        x = LEFT + LINE_COLUMNS[0][1]
        for value, (_, width, _) in zip(values, LINE_COLUMNS[1:]):
            cell_text(pdf, x, top + PAD, width - PAD, LINE_HEIGHT, pdf_text(value), right=True)
            x += width
        pdf.line(LEFT, top + height, RIGHT, top + height)
        pdf.set_xy(LEFT, top + height)
    pdf.ln(5)


def tax_summary(lines) -> list[tuple[str, str, Decimal, Decimal]]:
    """(rate name, percentage, net, tax) per tax rate of the lines, in the order they first appear."""
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in lines:
        rate = line.tax_rate
        key = (rate.name, percent(rate.percentage)) if rate is not None else ("No tax", "")
        sums[key][0] += line.net_amount
        sums[key][1] += line.tax_amount
    return [(name, percent, net, tax) for (name, percent), (net, tax) in sums.items()]


def _summary(pdf: FPDF, invoice) -> None:
    """The tax summary per rate on the left, the totals on the right."""
    if pdf.will_page_break(45):
        pdf.add_page()
    top = pdf.get_y()
    _label(pdf, "Tax summary", 100)
    rows = [("Tax rate", "Rate", "Net", "Tax")] + [
        (name, percent, money(net), money(tax)) for name, percent, net, tax in tax_summary(invoice.lines)]
    for index, row in enumerate(rows):
        pdf.set_font("Helvetica", "B" if index == 0 else "", 8.5)
        pdf.set_text_color(*(GREY if index == 0 else (0, 0, 0)))
        for text, width, align in zip(row, (42, 14, 22, 22), "LRRR"):
            pdf.cell(width, 5.2, pdf_text(text), align=align)
        pdf.ln(5.2)
    pdf.set_text_color(0)
    bottom = pdf.get_y()
    pdf.set_y(top)
    totals = [("Subtotal", money(invoice.subtotal, invoice.currency), ""),
              ("Tax", money(invoice.tax_total, invoice.currency), "")]
    if getattr(invoice, "voided", False):  # nothing is owed on a voided invoice: say 0, not its total
        totals.append(("Total", money(invoice.total, invoice.currency), ""))
        totals.append(("Amount due", money(invoice.amount_due, invoice.currency), "B"))
    elif getattr(invoice, "credit", False):
        totals.append(("Total credit", money(invoice.total, invoice.currency), "B"))
    elif invoice.amount_paid or invoice.amount_credited:
        totals.append(("Total", money(invoice.total, invoice.currency), ""))
        totals.append(("Paid", money(-(invoice.amount_paid + (invoice.amount_credited or 0)), invoice.currency), ""))
        totals.append(("Amount due", money(invoice.amount_due, invoice.currency), "B"))
    else:
        totals.append(("Total due", money(invoice.total, invoice.currency), "B"))
    for label, amount, style in totals:
        pdf.set_x(125)
        if style:
            pdf.set_fill_color(*SHADE)
        pdf.set_font("Helvetica", style, 11 if style else 9.5)
        pdf.cell(35, 8 if style else 6, label, fill=bool(style), align="L")
        pdf.cell(35, 8 if style else 6, pdf_text(amount), fill=bool(style), align="R",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(bottom, pdf.get_y()) + 8)


def _payment(pdf: FPDF, invoice, issuer: Issuer) -> None:
    """How to pay (bank details, payment terms), then the invoice notes."""
    sections = [("How to pay", issuer.bank_details), ("Payment terms", issuer.payment_terms),
                ("Notes", invoice.notes)]
    if getattr(invoice, "credit", False):
        sections = [("Reason", invoice.reason)]
    for title, text in sections:
        if not text:
            continue
        if pdf.will_page_break(14):
            pdf.add_page()
        _label(pdf, title)
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 4.6, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
