"""The server secret that keys the hashes of short codes (captcha answers, SMS codes).

A 6-digit code hashed without a secret can be recovered from a copy of the table by
trying all million values. Keyed with HMAC it cannot, unless the secret leaks too.
"""

import functools
import hashlib
import hmac
import logging
import os
import secrets

from xcert_app.settings import settings

logger = logging.getLogger(__name__)

SECRET_FILE_NAME = "secret_key"


@functools.cache
def server_secret() -> bytes:
    """Return ``XCERT_SECRET_KEY``, or the key in the data folder, created on first use.

    Workers on one machine share the file. Workers on several machines must all be
    given the same ``XCERT_SECRET_KEY``.
    """
    configured = os.environ.get("XCERT_SECRET_KEY", "")
    if configured:
        return configured.encode()
    path = settings.var_dir / SECRET_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "w") as output:
        output.write(secrets.token_hex(32))
    logger.info("created a server secret in %s", path)
    return path.read_bytes().strip()


def keyed_hash(*parts: str) -> str:
    """Return the HMAC-SHA256 of the parts joined by colons, as hex."""
    message = ":".join(parts).encode()
    return hmac.new(server_secret(), message, hashlib.sha256).hexdigest()


def same_hash(expected: str, actual: str) -> bool:
    """Compare two hashes in constant time."""
    return hmac.compare_digest(expected.encode(), actual.encode())
