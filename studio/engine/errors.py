"""How a library's exception becomes part of our one-sentence messages: its first line, kept short."""

from __future__ import annotations


def first_line(e: BaseException, limit: int = 200) -> str:
    """The first line of ``e``'s message (its type's name when it has none), at most ``limit`` characters."""
    text = str(e).strip()
    return (text.splitlines()[0] if text else type(e).__name__)[:limit]
