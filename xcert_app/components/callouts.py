"""A callout whose body contains blocks: stacks, inputs, checkboxes, links in a row."""

import reflex as rx


def callout_block(*children: rx.Component, icon: str, **props) -> rx.Component:
    """Render a callout with ``children`` placed beside the icon as they are.

    ``rx.callout`` wraps its body in a ``<p>``, where a ``<div>`` is invalid HTML
    and React logs a nesting warning, so pass blocks here instead.
    """
    return rx.callout.root(rx.callout.icon(rx.icon(icon)), *children, **props)
