"""A library's exception in a few words, to end one of our sentences ("…: not a readable checkpoint (<reason>).")."""

from __future__ import annotations


def first_line(e: BaseException, limit: int = 200) -> str:
    """The first line of ``e``'s message, at most ``limit`` characters; its type's name when it has none."""
    text = str(e).strip()
    return text.splitlines()[0][:limit] if text else type(e).__name__
