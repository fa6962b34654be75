"""A QR code encoder for one case only: up to 34 digits, version 1, error level M, mask 0.

Ticket numbers (20 digits) are printed on every admission ticket, and segno's general
encoder costs more per code than the rest of a ticket page. This encoder builds the
same symbol as ``segno.make(digits, error="m", micro=False, mask=0,
boost_error=False)`` (ISO/IEC 18004: numeric mode, Reed-Solomon over GF(256) with
polynomial 0x11D); a test compares both on many numbers.
"""

import functools

SIZE = 21
DATA_CODEWORDS = 16
EC_CODEWORDS = 10
MAX_DIGITS = 34
# Format information for error level M with mask 0, after the BCH code and XOR mask.
FORMAT_BITS = "101010000010010"


@functools.cache
def _gf_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 512
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    for power in range(255, 512):
        exp[power] = exp[power - 255]
    return exp, log


@functools.cache
def _generator() -> list[int]:
    exp, log = _gf_tables()
    poly = [1]
    for index in range(EC_CODEWORDS):
        product = [0] * (len(poly) + 1)
        for position, coefficient in enumerate(poly):
            product[position] ^= coefficient
            if coefficient:
                product[position + 1] ^= exp[log[coefficient] + index]
        poly = product
    return poly


@functools.cache
def _generator_products() -> tuple[tuple[int, ...], ...]:
    """Return, for every byte value, its products with the generator's coefficients."""
    exp, log = _gf_tables()
    coefficients = _generator()[1:]
    products = [(0,) * len(coefficients)]
    for factor in range(1, 256):
        products.append(
            tuple(
                exp[log[coefficient] + log[factor]] if coefficient else 0
                for coefficient in coefficients
            )
        )
    return tuple(products)


def _error_codewords(data: list[int]) -> list[int]:
    products = _generator_products()
    remainder = list(data) + [0] * EC_CODEWORDS
    for index in range(len(data)):
        factor = remainder[index]
        if factor:
            for offset, product in enumerate(products[factor], start=index + 1):
                remainder[offset] ^= product
    return remainder[len(data) :]


def _data_codewords(digits: str) -> list[int]:
    bits = "0001" + format(len(digits), "010b")
    for start in range(0, len(digits), 3):
        group = digits[start : start + 3]
        bits += format(int(group), {3: "010b", 2: "07b", 1: "04b"}[len(group)])
    capacity = DATA_CODEWORDS * 8
    bits += "0" * min(4, capacity - len(bits))
    bits += "0" * (-len(bits) % 8)
    codewords = [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]
    pads = (0xEC, 0x11)
    while len(codewords) < DATA_CODEWORDS:
        codewords.append(pads[(len(codewords) - len(bits) // 8) % 2])
    return codewords


@functools.cache
def _template() -> tuple[tuple[list[int | None], ...], tuple[tuple[int, int], ...]]:
    """Return the function patterns and the data module positions in placing order."""
    grid: list[list[int | None]] = [[None] * SIZE for _ in range(SIZE)]
    for top, left in ((0, 0), (0, SIZE - 7), (SIZE - 7, 0)):
        for row in range(-1, 8):
            for column in range(-1, 8):
                r, c = top + row, left + column
                if not (0 <= r < SIZE and 0 <= c < SIZE):
                    continue
                ring = max(abs(row - 3), abs(column - 3))
                grid[r][c] = 1 if ring in (0, 1, 3) else 0
    for index in range(8, SIZE - 8):
        grid[6][index] = grid[index][6] = 1 if index % 2 == 0 else 0
    grid[SIZE - 8][8] = 1
    for row, column in _format_positions()[0] + _format_positions()[1]:
        grid[row][column] = 0

    positions = []
    column = SIZE - 1
    upward = True
    while column > 0:
        if column == 6:
            column -= 1
        rows = range(SIZE - 1, -1, -1) if upward else range(SIZE)
        for row in rows:
            for c in (column, column - 1):
                if grid[row][c] is None:
                    positions.append((row, c))
        upward = not upward
        column -= 2
    return tuple(grid), tuple(positions)


@functools.cache
def _format_positions() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Return both copies of the 15 format-bit positions, most significant bit first."""
    first = [(8, c) for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [
        (r, 8) for r in (7, 5, 4, 3, 2, 1, 0)
    ]
    second = [(r, 8) for r in range(SIZE - 1, SIZE - 8, -1)] + [
        (8, c) for c in range(SIZE - 8, SIZE)
    ]
    return first, second


@functools.cache
def _placement() -> tuple[tuple[bytes, ...], tuple[tuple[int, int, int], ...]]:
    """Return the template rows with format bits set, and (row, column, mask bit)."""
    grid, positions = _template()
    rows = [bytearray(0 if cell is None else cell for cell in row) for row in grid]
    for copy in _format_positions():
        for (row, column), bit in zip(copy, FORMAT_BITS, strict=True):
            rows[row][column] = 1 if bit == "1" else 0
    # Mask pattern 0 inverts the data modules where row + column is even.
    slots = tuple((row, column, 1 - (row + column) % 2) for row, column in positions)
    return tuple(bytes(row) for row in rows), slots


def matrix(digits: str) -> list[bytearray]:
    """Return the 21 × 21 module matrix of ``digits`` (1 = dark), without quiet zone."""
    if not digits.isdigit() or not digits.isascii() or len(digits) > MAX_DIGITS:
        raise ValueError(
            f"invalid input {digits!r}: this encoder takes 1 to {MAX_DIGITS} ASCII digits"
        )
    template, slots = _placement()
    result = [bytearray(row) for row in template]
    data = _data_codewords(digits)
    bits = int.from_bytes(bytes(data + _error_codewords(data)), "big")
    shift = len(slots) - 1
    for row, column, mask in slots:
        result[row][column] = ((bits >> shift) & 1) ^ mask
        shift -= 1
    return result


# The packed image adds a 2-module quiet zone on every side and pads each row to
# whole bytes, as a PDF 1-bit image needs.
QUIET_ZONE = 2
IMAGE_SIDE = SIZE + 2 * QUIET_ZONE
_ROW_BITS = -(-IMAGE_SIDE // 8) * 8
_IMAGE_BITS = IMAGE_SIDE * _ROW_BITS


def _image_bit(row: int, column: int) -> int:
    """Return the bit of symbol module (row, column) in the packed image integer."""
    image_row = row + QUIET_ZONE
    image_column = column + QUIET_ZONE
    return 1 << (
        (IMAGE_SIDE - 1 - image_row) * _ROW_BITS + _ROW_BITS - 1 - image_column
    )


@functools.cache
def _image_tables() -> tuple[int, tuple[tuple[int, ...], ...]]:
    """Return the dark function modules, and the dark modules of each data nibble.

    Both are integers with one bit per image module. The second item holds, for
    every half codeword in placing order, the modules its 16 possible values make
    dark after mask 0, so a symbol is the OR of 52 table entries.
    """
    template, slots = _placement()
    function_dark = 0
    for row, cells in enumerate(template):
        for column, cell in enumerate(cells):
            if cell:
                function_dark |= _image_bit(row, column)
    nibbles = []
    for start in range(0, len(slots), 4):
        group = slots[start : start + 4]
        entries = []
        for value in range(16):
            dark = 0
            for position, (row, column, mask) in enumerate(group):
                bit = (value >> (3 - position)) & 1
                if bit ^ mask:
                    dark |= _image_bit(row, column)
            entries.append(dark)
        nibbles.append(tuple(entries))
    return function_dark, tuple(nibbles)


def packed_image(digits: str) -> bytes:
    """Return the symbol of ``digits`` as 1-bit DeviceGray image rows (set bit = white).

    The image is ``IMAGE_SIDE`` modules square with the quiet zone, each row padded
    with white bits to whole bytes. It shows the same modules as ``matrix``.
    """
    if not digits.isdigit() or not digits.isascii() or len(digits) > MAX_DIGITS:
        raise ValueError(
            f"invalid input {digits!r}: this encoder takes 1 to {MAX_DIGITS} ASCII digits"
        )
    function_dark, nibbles = _image_tables()
    data = _data_codewords(digits)
    dark = function_dark
    index = 0
    for codeword in data + _error_codewords(data):
        dark |= nibbles[index][codeword >> 4] | nibbles[index + 1][codeword & 0x0F]
        index += 2
    white = ((1 << _IMAGE_BITS) - 1) ^ dark
    return white.to_bytes(_IMAGE_BITS // 8, "big")
