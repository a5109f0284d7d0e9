"""Terminal text by display width: a CJK character takes two columns, a combining mark none.

Used by ``mmqb review`` (aligned columns, wrapped cards) and ``mmqb check`` feedback shown in a
review session. Lines break between words or between two wide characters; Chinese punctuation
stays with its neighbour (no line starts with ， or ” and none ends with “). Markdown from the
question files is reflowed first, so the terminal's width decides where lines end.
"""

from __future__ import annotations

import re
import unicodedata

from wcwidth import wcwidth


def width(text: str) -> int:
    """Display width in a terminal: wide (CJK) characters count 2, combining marks 0."""
    return sum(max(wcwidth(ch), 0) for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` followed by spaces up to ``columns`` display columns."""
    return text + " " * max(0, columns - width(text))


def truncate(text: str, columns: int) -> str:
    """``text`` cut to at most ``columns`` display columns (an ellipsis marks a cut)."""
    if width(text) <= columns:
        return text
    out, used = "", 0
    for ch in text:
        w = max(wcwidth(ch), 0)
        if used + w > columns - 1:
            break
        out, used = out + ch, used + w
    return out + "…"


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


_OPENING = "（「『“‘《【"
_CLOSING = "，。；：、！？）」』”’》】…"


def _tokens(line: str) -> list[str]:
    """Words, single spaces and single wide characters (a line may break between two CJK characters).

    Chinese punctuation stays with its neighbour: no line starts with ， or ” and none ends with “.
    """
    tokens: list[str] = []
    for ch in line:
        if tokens and tokens[-1] != " " and (ch in _CLOSING or tokens[-1][-1] in _OPENING):
            tokens[-1] += ch
        elif ch == " " or _is_wide(ch) or not tokens or tokens[-1] == " " or _is_wide(tokens[-1][-1]):
            tokens.append(ch)
        else:
            tokens[-1] += ch
    return tokens


def wrap(text: str, columns: int) -> list[str]:
    """Wrap each line of ``text`` to ``columns`` display columns; list items keep a hanging indent."""
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        marker = ""
        for prefix in ("- ", "* "):
            if stripped.startswith(prefix):
                marker = prefix
        head = stripped.split(" ", 1)[0]
        if not marker and head[:-1].isdigit() and head.endswith(".") and " " in stripped:
            marker = head + " "
        indent = " " * (len(line) - len(stripped) + len(marker))
        current, used = "", 0
        for token in _tokens(line):
            w = width(token)
            if used + w > columns and current.strip():
                out.append(current.rstrip())
                current, used = indent, len(indent)
                if token == " ":
                    continue
            current, used = current + token, used + w
        out.append(current.rstrip())
    return out


_STARTS_LINE = re.compile(r"^\s*(#|[-*] |\d+\. |\$\$|\|)")


def _join(left: str, right: str) -> str:
    """Join a hard-wrapped line to the next: a space, except between two wide (CJK) characters."""
    if left and right and (left[-1] in _CLOSING or _is_wide(left[-1]) and _is_wide(right[0])):
        return left + right
    return f"{left} {right}"


def reflow(text: str) -> str:
    """Undo the hard wrapping of Markdown paragraphs and list items, so the terminal width decides."""
    lines: list[str] = []
    for line in text.splitlines():
        previous = lines[-1].strip() if lines else ""
        if previous and line.strip() and not _STARTS_LINE.match(line) and not previous.startswith(("$$", "#", "|")):
            lines[-1] = _join(lines[-1].rstrip(), line.strip())
        else:
            lines.append(line.rstrip())
    return "\n".join(lines)


def plain(markdown: str) -> str:
    """Markdown made readable in a terminal: reflowed, no bold markers, headings as plain labels."""
    lines = []
    for line in reflow(markdown.replace("**", "")).splitlines():
        if line.startswith("#"):
            line = line.lstrip("#").strip()
        lines.append(line)
    return "\n".join(lines)


def first_paragraphs(section: str) -> str:
    """The first paragraph of each language block of a section (``### 中文`` then ``### English``)."""
    parts = []
    for block in section.split("### ")[1:]:
        label, _, body = block.partition("\n")
        paragraph = reflow(body.strip()).split("\n\n")[0]
        parts.append(f"{label.strip()}: {paragraph}")
    return "\n\n".join(parts)
