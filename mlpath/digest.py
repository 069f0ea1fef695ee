"""SHA-256 without loading OpenSSL.

``hashlib`` loads OpenSSL's libcrypto on import, about 10 ms, which would be a tenth of
`mlpath log`. CPython also builds its own SHA-256 in (``_sha2`` from 3.12, ``_sha256``
before): the same digest, loaded in a fraction of that. ``hashlib`` is the fallback.
"""

from collections.abc import Callable
from typing import Any


def _constructor() -> Callable[[bytes], Any]:
    for module in ("_sha2", "_sha256"):
        try:
            return __import__(module).sha256  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256


_FOUND: list[Callable[[bytes], Any]] = []  # the constructor, once looked up


def sha256(data: bytes) -> bytes:
    if not _FOUND:
        _FOUND.append(_constructor())
    return bytes(_FOUND[0](data).digest())
