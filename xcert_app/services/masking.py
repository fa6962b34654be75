"""Masking personal data for lists, exports and logs."""


def mask_id_number(id_number: str) -> str:
    """Show the first 6 and last 4 characters: ``370285*****5910``."""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return f"{id_number[:6]}*****{id_number[-4:]}"


def mask_mobile(mobile: str) -> str:
    """Show the first 3 and last 4 digits: ``138****8000``."""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"


def mask_name(name: str) -> str:
    """Keep the first character of a name: ``张*``, ``欧**``."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)
