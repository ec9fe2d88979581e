"""The root of the toolkit's own errors.

Every error the toolkit raises on purpose — a bad regime file, a bad option, a damaged results.json —
derives from :class:`SsmverifyError`; the command line maps exactly these to exit status 2 (bad input
or usage).  Anything else that escapes is an internal error (exit status 3).
"""

from __future__ import annotations

__all__ = ["SsmverifyError"]


class SsmverifyError(Exception):
    """Bad input or usage: the message is one line that names the file, key or argument and what is wrong."""
