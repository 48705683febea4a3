"""Text on the PDFs: made drawable by the core fonts (cp1252), measured and placed without
fpdf2's per-call text shaping, and wrapped to a width. bridge.invoicing.document draws the
pages with these; nothing here knows an invoice."""
import unicodedata

from fpdf import FPDF

ENCODING = "cp1252"
_FALLBACKS = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})


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


def text_width(pdf: FPDF, text: str) -> float:
    """The width of `text` (already drawable, see pdf_text) in the current core font: what
    get_string_width answers, without its per-call text shaping, which this table cannot afford."""
    return pdf.current_font.get_text_width(text, pdf.font_size_pt, None)[1] / pdf.k


def cell_text(pdf: FPDF, x: float, y: float, width: float, height: float, text: str,
              right: bool = False) -> None:
    """`text` placed as cell(width, height, text) at (x, y) would place it, drawn with the far
    cheaper text(): an invoice's lines table draws thousands of these."""
    margin = pdf.c_margin
    left = x + width - margin - text_width(pdf, text) if right else x + margin
    pdf.text(left, y + 0.5 * height + 0.3 * pdf.font_size, text)


def wrapped(pdf: FPDF, text: str, width: float) -> list[str]:
    """`text` broken into lines no wider than `width` in the current font, at spaces (a word
    wider than the whole width is cut). Greedy and by string widths: fpdf2's own line breaker
    is far slower, and this runs for every line of an invoice of up to MAX_LINES lines."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(pdf, candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while word and text_width(pdf, word) > width:
                cut = len(word) - 1
                while cut > 1 and text_width(pdf, word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines
