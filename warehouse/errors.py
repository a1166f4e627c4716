"""The root of the errors wiredesk raises on purpose, and how one is shown in a line.

It lives in the lowest layer so that every package may derive its errors from it while imports
keep running one way (flows -> tasks -> warehouse).
"""

from __future__ import annotations


class WiredeskError(Exception):
    """A failure wiredesk explains: bad input, configuration, a missing model, a warehouse fault."""


def first_line(err: BaseException) -> str:
    """Return the first line of an error's message (its type's name when the message is empty)."""
    return (str(err).splitlines() or [type(err).__name__])[0]
