"""Fonts for PDF documents: Noto Sans SC for Chinese, BabelStone Han for rare characters.

Noto Sans SC Regular (SIL OFL 1.1, ``assets/fonts/NotoSansSC-OFL.txt``) covers the
common CJK block. ``BabelStoneHan-Supplement.ttf`` is BabelStone Han 15.0.5 (Arphic
Public License, ``assets/fonts/BabelStoneHan-LICENSE.txt``) cut down to the ideographs
that Noto Sans SC lacks, CJK Extension B (U+20000..U+2A6DF) among them. fpdf2 embeds
only the glyphs a document uses.
"""

import copy
import functools
import threading
import unicodedata
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import PDFResourceType
from fpdf.fonts import SubsetMap

from xcert_app.settings import PROJECT_ROOT

FONT_DIR = PROJECT_ROOT / "assets" / "fonts"
MAIN_FONT = FONT_DIR / "NotoSansSC-Regular.ttf"
FALLBACK_FONT = FONT_DIR / "BabelStoneHan-Supplement.ttf"
MAIN = "NotoSansSC"
FALLBACK = "BabelStoneHan"


# Code points each font maps, by file. new_pdf fills the main font's entry from the
# font fpdf2 has just parsed, which spares a second parse with fontTools.
_CMAPS: dict[Path, frozenset[int]] = {}


def _cmap(path: Path) -> frozenset[int]:
    cmap = _CMAPS.get(path)
    if cmap is None:
        cmap = _CMAPS[path] = frozenset(TTFont(str(path), lazy=True).getBestCmap())
    return cmap


def main_covers(char: str) -> bool:
    """Tell whether Noto Sans SC has a glyph for ``char``."""
    return ord(char) in _cmap(MAIN_FONT)


def fallback_covers(char: str) -> bool:
    """Tell whether the rare-character font has a glyph for ``char``."""
    return ord(char) in _cmap(FALLBACK_FONT)


def _printable(char: str) -> bool:
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf")


def missing_characters(text: str) -> list[str]:
    """Return the characters of ``text`` that no shipped font can draw, in order."""
    return list(_missing(text))


@functools.lru_cache(maxsize=8192)
def _missing(text: str) -> tuple[str, ...]:
    main = _cmap(MAIN_FONT)
    missing: list[str] = []
    for char in text:
        code = ord(char)
        if code in main or not _printable(char) or char in missing:
            continue
        if code not in _cmap(FALLBACK_FONT):
            missing.append(char)
    return tuple(missing)


def describe(chars: list[str]) -> str:
    """Name characters for a message: ``𠮷（U+20BB7）``."""
    return "、".join(f"{char}（U+{ord(char):04X}）" for char in chars)


@functools.lru_cache(maxsize=8192)
def needs_fallback(text: str) -> bool:
    """Tell whether ``text`` has a character only the rare-character font draws."""
    main = _cmap(MAIN_FONT)
    return any(ord(char) not in main and _printable(char) for char in text)


# Fonts parsed once per process, with their glyph order, by fpdf2 font key.
_parsed_fonts: dict[str, tuple] = {}
_parsed_fonts_lock = threading.Lock()


def add_font(pdf: FPDF, family: str, path: Path) -> None:
    """Add a TTF font to ``pdf`` from a parsed copy kept for the whole process.

    fpdf2 parses the whole font on every ``add_font`` (about a second for Noto Sans
    SC on the development machine), yet the metrics are the same for every
    document. So the parsed font is shallow-copied with its own glyph subset, and
    given a fresh, lazily read fontTools ``TTFont`` (writing a PDF subsets that
    object in place) that reuses the glyph order worked out once.
    """
    key = family.lower()
    if key in pdf.fonts:
        return
    with _parsed_fonts_lock:
        parsed = _parsed_fonts.get(key)
        if parsed is None:
            loader = FPDF()
            loader.add_font(family, fname=str(path))
            parsed = loader.fonts[key]
            _parsed_fonts[key] = (parsed, tuple(parsed.ttfont.getGlyphOrder()))
            _CMAPS.setdefault(path, frozenset(parsed.cmap))
        parsed, glyph_order = _parsed_fonts[key]
    font = copy.copy(parsed)
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    # Keep the full font's bounding boxes, as fontTools' own subsetter does by
    # default. They still enclose every kept glyph, and recomputing them would
    # decode and re-encode each glyph outline when the PDF is written.
    font.ttfont = TTFont(
        str(path), recalcTimestamp=False, recalcBBoxes=False, lazy=True
    )
    font.ttfont.setGlyphOrder(list(glyph_order))
    font.i = len(pdf.fonts) + 1
    pdf.fonts[key] = font


class DocumentPDF(FPDF):
    """An FPDF document that remembers how each text is encoded in the main font."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Text -> its "(...) Tj" operator. The font's subset only grows within a
        # document, so a text keeps its encoding until the document is written.
        self.main_encodings: dict[str, str] = {}


def new_pdf() -> DocumentPDF:
    """Return an A4 portrait PDF with the main font set; the fallback loads on demand."""
    pdf = DocumentPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    add_font(pdf, MAIN, MAIN_FONT)
    pdf.set_font(MAIN, size=11)
    pdf.set_creator("xcert")
    return pdf


def ensure_fallback(pdf: FPDF) -> None:
    """Add the rare-character font to ``pdf`` unless it is there already."""
    add_font(pdf, FALLBACK, FALLBACK_FONT)


def _runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into (font family, piece) runs by which font draws each part."""
    main = _cmap(MAIN_FONT)
    runs: list[tuple[str, str]] = []
    for char in text:
        family = MAIN if ord(char) in main or not _printable(char) else FALLBACK
        if runs and runs[-1][0] == family:
            runs[-1] = (family, runs[-1][1] + char)
        else:
            runs.append((family, char))
    return runs


def _use(pdf: FPDF, family: str, size: float) -> None:
    # set_font costs more than drawing a short text, so skip it when nothing changes.
    if pdf.font_family != family.lower() or pdf.font_size_pt != size:
        pdf.set_font(family, size=size)


def _width(pdf: FPDF, family: str, text: str, size: float) -> float:
    key = (family, text)
    units = _EM_UNITS.get(key)
    if units is None:
        widths = pdf.fonts[family.lower()].cw
        units = sum(widths[ord(char)] for char in text)
        if len(_EM_UNITS) > 50_000:
            _EM_UNITS.clear()
        _EM_UNITS[key] = units
    return units * size * 0.001 / pdf.k


# Widths in font units by (family, text). Each family is always loaded from the same
# file, so a sum stays valid across documents; school, subject and site names repeat
# on every page of a batch.
_EM_UNITS: dict[tuple[str, str], int] = {}


def text_width(pdf: FPDF, text: str, size: float) -> float:
    """Return the width of ``text`` in mm at ``size`` pt, across both fonts."""
    if not needs_fallback(text):
        return _width(pdf, MAIN, text, size)
    ensure_fallback(pdf)
    return sum(_width(pdf, family, piece, size) for family, piece in _runs(text))


def draw_text(pdf: FPDF, x: float, y: float, text: str, size: float) -> float:
    """Draw ``text`` with its baseline at ``y``; return the width drawn in mm.

    Characters missing from Noto Sans SC are drawn in the rare-character font.
    Callers check ``missing_characters`` first, since a character neither font has
    would print as an empty box.
    """
    if not needs_fallback(text):
        _use(pdf, MAIN, size)
        pdf.text(x, y, text)
        return _width(pdf, MAIN, text, size)
    ensure_fallback(pdf)
    start = x
    for family, piece in _runs(text):
        _use(pdf, family, size)
        pdf.text(x, y, piece)
        x += _width(pdf, family, piece, size)
    _use(pdf, MAIN, size)
    return x - start


def fit_size(pdf: FPDF, text: str, width: float, size: float, minimum: float) -> float:
    """Return the largest size from ``size`` down to ``minimum`` at which text fits."""
    natural = text_width(pdf, text, size)
    if natural <= width:
        return size
    # Width grows linearly with size, so one division finds the fitting size.
    return max(minimum, int(size * width / natural * 2) / 2)


def draw_fitted(
    pdf: FPDF,
    x: float,
    y: float,
    text: str,
    *,
    width: float,
    size: float,
    minimum: float = 6,
    line_gap: float = 1.2,
) -> None:
    """Draw ``text`` in a box ``width`` mm wide, shrinking it and never clipping it.

    The size goes down to ``minimum``; text still too wide at that size wraps onto
    further lines below ``y``.
    """
    natural = text_width(pdf, text, size)
    if natural <= width:
        draw_text(pdf, x, y, text, size)
        return
    fitted = fit_size(pdf, text, width, size, minimum)
    if natural * fitted / size <= width:
        draw_text(pdf, x, y, text, fitted)
        return
    line = ""
    line_height = fitted * 0.3528 * line_gap
    for char in text:
        if line and text_width(pdf, line + char, fitted) > width:
            draw_text(pdf, x, y, line, fitted)
            y += line_height
            line = char
        else:
            line += char
    if line:
        draw_text(pdf, x, y, line, fitted)


def draw_fitted_many(
    pdf: DocumentPDF, entries: list[tuple[float, float, str, float, float, float]]
) -> None:
    """Draw several (x, y, text, width, size, minimum) fields as ``draw_fitted`` does.

    Fields in the main font that fit on one line go out as one block of text
    operators, which skips fpdf2's per-call work on pages printed by the thousand.
    This relies on fpdf2 2.8's ``_out`` and page resource catalogue, so check it
    when upgrading fpdf2. Other fields take the ``draw_fitted`` path.
    """
    font = pdf.fonts[MAIN.lower()]
    encodings = pdf.main_encodings
    k, height = pdf.k, pdf.h
    operators = []
    for x, y, text, width, size, minimum in entries:
        if needs_fallback(text):
            draw_fitted(pdf, x, y, text, width=width, size=size, minimum=minimum)
            continue
        natural = _width(pdf, MAIN, text, size)
        fitted = size if natural <= width else fit_size(pdf, text, width, size, minimum)
        if natural * fitted / size > width:
            draw_fitted(pdf, x, y, text, width=width, size=size, minimum=minimum)
            continue
        encoded = encodings.get(text)
        if encoded is None:
            encoded = encodings[text] = font.encode_text(text)
        operators.append(
            f"BT /F{font.i} {fitted:.2f} Tf {x * k:.2f} {(height - y) * k:.2f} Td "
            f"{encoded} ET"
        )
    if operators:
        pdf._resource_catalog.add(PDFResourceType.FONT, font.i, pdf.page)
        pdf._out("\n".join(operators))
        # The block changed the font in the content stream behind fpdf2's back.
        pdf.current_font_is_set_on_page = False
