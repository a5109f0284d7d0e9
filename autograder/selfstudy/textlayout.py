"""Terminal text by display width: a CJK character takes two columns, a combining mark none.

Used by ``mmqb review`` (aligned columns, wrapped cards) and ``mmqb check`` feedback shown in a
review session. Lines break between words or between two wide characters; Chinese punctuation
stays with its neighbour (no line starts with ， or ” and none ends with “). Markdown from the
question files is reflowed first, so the terminal's width decides where lines end, and its
formulas (``$...$``, ``$$...$$``) become Unicode text (pylatexenc): ``$\\frac{QK^\\top}{\\sqrt{d_k}}$``
reads ``QKᵀ/√(d_k)``.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from wcwidth import wcwidth

from autograder.topics import lead


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
    """Wrap each line of ``text`` to ``columns`` display columns; list items (and ``mmqb check``'s
    ``[PASS]``/``[FAIL]``/``hint:`` lines) keep a hanging indent."""
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        marker = ""
        for prefix in ("- ", "* ", "[PASS] ", "[FAIL] ", "hint: "):
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


_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", flags=re.S)
# Inline math as Markdown renderers read it: no space just inside either dollar ("$5 and $" is not math).
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?=\S)([^$\n]*?\S)\$(?!\d)")
_CODE_SPAN = re.compile(r"(`[^`\n]*`)")
_SUPERSCRIPTS = {"^2": "²", "^3": "³", "^{2}": "²", "^{3}": "³", "^⊤": "ᵀ", "^T": "ᵀ", "^{-1}": "⁻¹", "^-1": "⁻¹"}
# pylatexenc writes \log\sigma as "logσ" and "a \cdot b" as "a ·b"; spaces put back for reading.
_FUNCTION_GLUED = re.compile(r"\b(log|exp|softmax|max|min|sin|cos)(?=[^\s(\[{_^,.)=])")
_DOT = re.compile(r"\s*·\s*")


def _math(latex: str) -> str:
    from pylatexenc.latex2text import LatexNodes2Text  # only when a formula is shown

    # pylatexenc logs malformed macros as warnings (on the learner's screen) and writes "%s" for them.
    logging.getLogger("pylatexenc").setLevel(logging.CRITICAL)
    try:
        text = LatexNodes2Text(math_mode="text", strict_latex_spaces=False).latex_to_text(latex)
    except Exception:  # noqa: BLE001 - malformed LaTeX stays as written, never an error on screen
        return latex
    if "%s" in text and "%s" not in latex:
        return latex
    for sup, uni in _SUPERSCRIPTS.items():
        text = text.replace(sup, uni)
    return _DOT.sub(" · ", _FUNCTION_GLUED.sub(r"\1 ", text)).strip()


def math_text(markdown: str) -> str:
    """``markdown`` with every formula outside code spans written as Unicode text."""
    parts = _CODE_SPAN.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are outside `code`
        part = _DISPLAY_MATH.sub(lambda m: _math(m.group(1)), parts[i])
        parts[i] = _INLINE_MATH.sub(lambda m: _math(m.group(1)), part)
    return "".join(parts)


def plain(markdown: str) -> str:
    """Markdown made readable in a terminal: reflowed, formulas as text, no bold markers, plain headings."""
    lines = []
    # reflowed first, so that a code span or a formula wrapped over two lines is on one
    parts = _CODE_SPAN.split(math_text(reflow(markdown)))  # bold markers go, code such as `beta**n` stays
    text = "".join(part if i % 2 else part.replace("**", "") for i, part in enumerate(parts))
    for line in text.splitlines():
        if line.startswith("#"):
            line = line.lstrip("#").strip()
        lines.append(line)
    return "\n".join(lines)


def first_paragraphs(section: str) -> str:
    """The lead of each language block of a section (``### 中文`` then ``### English``): its first
    paragraph, with the list that paragraph introduces (:func:`autograder.topics.lead`)."""
    parts = []
    for block in section.split("### ")[1:]:
        label, _, body = block.partition("\n")
        paragraph = reflow(lead(body))
        parts.append(f"{label.strip()}: {paragraph}")
    return "\n\n".join(parts)
