"""Placing JPEG photos in a PDF without decoding them with Pillow.

fpdf2 opens every image with Pillow to learn its size and colour space, which costs
more per admission ticket than drawing the rest of the page. For a plain 8-bit
grey or colour JPEG the start-of-frame segment contains the same facts, so
``register`` fills fpdf2's image cache from it, and ``FPDF.image`` then finds the
photo there. Other JPEGs (CMYK, 12-bit, with an ICC profile) and anything
unreadable are left to fpdf2.
This relies on the cache layout of fpdf2 2.8, so check it when upgrading fpdf2.
"""

import hashlib
import struct

from fpdf import FPDF
from fpdf.image_datastructures import RasterImageInfo

# Start-of-frame markers: baseline, extended, progressive and lossless, Huffman or
# arithmetic coded. 0xC4 (Huffman tables), 0xC8 (reserved) and 0xCC (arithmetic
# conditioning) are not frames.
_START_OF_FRAME = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_COLOUR_SPACES = {1: "DeviceGray", 3: "DeviceRGB"}


def frame_info(data: bytes) -> tuple[int, int, int] | None:
    """Return (width, height, components) of a plain 8-bit JPEG, or None.

    None means fpdf2 must read the file itself: not a JPEG, a truncated one, one
    with an ICC profile, or a precision or component count other than 8 bits and
    1 or 3 components.
    """
    if not data.startswith(b"\xff\xd8"):
        return None
    position = 2
    end = len(data)
    while position + 4 <= end:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        (length,) = struct.unpack_from(">H", data, position + 2)
        segment = position + 4
        if marker == 0xE2 and data.startswith(b"ICC_PROFILE\x00", segment):
            return None
        if marker in _START_OF_FRAME:
            if segment + 6 > end:
                return None
            precision, height, width, components = struct.unpack_from(
                ">BHHB", data, segment
            )
            if precision != 8 or components not in _COLOUR_SPACES:
                return None
            if width == 0 or height == 0:
                return None
            return width, height, components
        if marker == 0xDA:
            return None
        position = segment + length - 2
    return None


def register(pdf: FPDF, data: bytes) -> None:
    """Put ``data`` in ``pdf``'s image cache as fpdf2 would, when it is a plain JPEG.

    The cache key and the entry match what ``fpdf.image_parsing.preload_image``
    stores for the same bytes, so a following ``pdf.image(io.BytesIO(data))``
    counts a use and skips Pillow. Other data is left alone.
    """
    if pdf.image_cache.image_filter != "AUTO":
        return
    images = pdf.image_cache.images
    key = hashlib.md5(data.strip(), usedforsecurity=False).hexdigest()
    if key in images:
        return
    frame = frame_info(data)
    if frame is None:
        return
    width, height, components = frame
    info = RasterImageInfo()
    info.update(
        {
            "data": data,
            "w": width,
            "h": height,
            "cs": _COLOUR_SPACES[components],
            "iccp": None,
            "dpn": components,
            "bpc": 8,
            "f": "DCTDecode",
            "inverted": False,
            "dp": f"/Predictor 15 /Colors {components} /Columns {width}",
            "i": len(images) + 1,
            # FPDF.image counts this use when it finds the entry.
            "usages": 0,
            "iccp_i": None,
        }
    )
    images[key] = info
