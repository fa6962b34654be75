"""Hand-written cells in .xlsx files, for the cases openpyxl cannot write itself."""

import io
import re
import zipfile

SHEET = "xl/worksheets/sheet1.xml"


def with_cells(data: bytes, cells: dict[str, str]) -> bytes:
    """Replace cells of the first sheet by hand-written XML, as Excel would save them.

    openpyxl writes a formula without a cached result; Excel stores the
    result in ``<v>`` beside ``<f>``, and ``t="str"`` marks a text result.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    xml = source.read(SHEET).decode()
    for reference, replacement in cells.items():
        pattern = rf'<c r="{reference}"(?: [^>]*)?(?:/>|>.*?</c>)'
        xml, count = re.subn(pattern, replacement, xml, count=1)
        assert count == 1, reference
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = xml.encode() if item.filename == SHEET else source.read(item)
            target.writestr(item, content)
    return output.getvalue()
