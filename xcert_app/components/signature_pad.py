"""A handwritten signature pad for finger or stylus: ``react-signature-canvas`` wrapped.

Version 1.1.0-alpha.2 is pinned because 1.0.7's bundle hands Vite an object
instead of a component ("Element type is invalid").
"""

import reflex as rx
from reflex_base.utils.format import format_ref


class SignatureCanvas(rx.Component):
    """The canvas; read it with ``read_signature`` and clear it with ``clear_signature``."""

    library = "react-signature-canvas@1.1.0-alpha.2"
    tag = "SignatureCanvas"
    is_default = True

    pen_color: rx.Var[str]
    canvas_props: rx.Var[dict]
    min_width: rx.Var[float]
    max_width: rx.Var[float]


def signature_pad(pad_id: str, *, width: int = 600, height: int = 240) -> rx.Component:
    """Return a bordered pad of ``width``×``height`` CSS pixels with the element id ``pad_id``."""
    return rx.box(
        SignatureCanvas.create(
            id=pad_id,
            pen_color="#111111",
            min_width=1.2,
            max_width=3.2,
            canvas_props={
                "width": width,
                "height": height,
                "className": "signature-canvas",
                "id": f"{pad_id}-canvas",
                "style": {"touchAction": "none", "display": "block"},
            },
        ),
        border=f"2px dashed {rx.color('gray', 7)}",
        border_radius="8px",
        background="white",
        width=f"{width + 4}px",
        max_width="100%",
        overflow="hidden",
    )


def _ref(pad_id: str) -> str:
    return f"refs['{format_ref(pad_id)}']"


def read_signature(pad_id: str, callback) -> rx.event.EventSpec:
    """Send the pad's image to ``callback`` as a PNG data URL, or "" when nothing is drawn."""
    ref = _ref(pad_id)
    return rx.call_script(
        f"({ref} && {ref}.current && !{ref}.current.isEmpty())"
        f" ? {ref}.current.toDataURL('image/png') : ''",
        callback=callback,
    )


def clear_signature(pad_id: str) -> rx.event.EventSpec:
    """Wipe the pad."""
    ref = _ref(pad_id)
    return rx.call_script(f"{ref} && {ref}.current && {ref}.current.clear()")
