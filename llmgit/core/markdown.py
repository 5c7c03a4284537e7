"""Outside values made inert in Markdown (review output, pull-request bodies, model cards). Pure.

Whoever can push a tag, a card or a promotion branch chooses the param values, card text, file
names and messages that ``review`` and ``card render`` print. In Markdown such a value could
print a heading, a forged checklist, an image that phones home, an ``@team`` mention or an
unclosed ``<!--`` that hides the rest of the page on GitHub. So every outside value goes
through one of these helpers, and the structure (headings, tables, checklists) comes only
from llmgit:

- :func:`code`: an inline code span, fenced with more backticks than the value holds
  (CommonMark), padded when the value starts or ends with a backtick or a space; GitHub
  neither links nor mentions inside code.
- :func:`code_cell`: the same, fit for a GFM table cell (pipes escaped).
- :func:`text`: escaped inline text, for prose: Markdown's punctuation backslash-escaped, ``<>&`` as
  entities, ``@`` and ``://`` / ``www.`` broken by a zero-width space so nothing mentions or
  links; line breaks fold into spaces, so a value never starts a block.
- :func:`paragraphs`: multi-line prose (a card's description): its blank-line paragraphs are
  kept, every line goes through :func:`text`.

Control characters show escaped (``\\x1b``, ``\\u202e``) in all of them, as on a terminal.

What these return is a :class:`Markdown` string, which templates print as is; anything else a
Markdown template prints goes through :func:`text` (see ``infra.templating``).
"""

from __future__ import annotations

import re
import string

from llmgit.core.bounded import escape_control

ZWSP = "\u200b"  # zero-width space: breaks a mention or an autolink, shows nothing
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_BACKTICKS = re.compile(r"`+")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_PUNCTUATION = frozenset(string.punctuation) - frozenset(",;:/?%'\"")  # these mean nothing in Markdown
_JOINERS = frozenset("-_.")  # bare between two letters or digits: no emphasis, list or link there
# every character :func:`_escape_char` may change; the others are copied as they are
_SPECIAL = re.compile("[" + re.escape("".join(sorted(_PUNCTUATION | {"@", ":"}))) + "]")
EMPTY = '""'  # an empty value: an empty code span does not exist in Markdown


class Markdown(str):
    """Markdown that llmgit built, with every outside value already made inert."""

    __slots__ = ()


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def one_line(value: object) -> str:
    """``value`` as one line: line breaks become spaces (as in a CommonMark code span), and
    other control characters (NUL, escapes, bidirectional overrides that would reorder what a
    reviewer reads) are shown escaped, as on the terminal: ``\\x1b``."""
    return escape_control(_LINE_BREAK.sub(" ", _as_text(value)))


def code(value: object) -> Markdown:
    """``value`` as one inline code span that renders exactly its text (line breaks as spaces)."""
    s = one_line(value)
    if not s:
        return Markdown(EMPTY)
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(s)), default=0) + 1)
    pad = " " if s.strip(" ") and (s[0] in "` " or s[-1] in "` ") else ""
    return Markdown(f"{fence}{pad}{s}{pad}{fence}")


def code_cell(value: object) -> Markdown:
    """:func:`code` for a GFM table cell: a pipe would end the cell, so it is escaped.

    A backslash right before an escaped pipe reads differently in GitHub's parser than in
    others, so a value holding both a backslash and a pipe is shown as :func:`text` instead.
    """
    s = one_line(value)
    if "|" in s and "\\" in s:
        return text(s)
    return Markdown(code(s).replace("|", "\\|"))


def _alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _escape_char(s: str, i: int) -> str:
    ch = s[i]
    if ch in _ENTITIES:
        return _ENTITIES[ch]
    if ch == "@":
        return "@" + ZWSP  # no @user or @org/team mention, no e-mail autolink
    if ch == ":" and s.startswith("//", i + 1):
        return ":" + ZWSP  # no scheme://host autolink
    if ch not in _PUNCTUATION:
        return ch
    if ch == "." and s[max(0, i - 3) : i].lower() == "www":
        return ZWSP + "\\."  # no www.host autolink
    if ch in _JOINERS and 0 < i < len(s) - 1 and _alnum(s[i - 1]) and _alnum(s[i + 1]):
        return ch  # lora_r, llama-7b, 1.5: nothing to escape, and easier to read
    return "\\" + ch


# text that :func:`text` leaves as it is: ASCII letters and digits, joined by single ``-_.``
# (``llama-7b``, ``1.5``), between spaces and punctuation Markdown gives no meaning; it holds
# no line break, control character, ``@``, ``:`` or ``<>&``, and no ``www`` (checked apart)
_INERT = re.compile(r"(?:[A-Za-z0-9]++(?:[-_.][A-Za-z0-9]++)*+|[ ,;/?%'\"]++)*+")  # possessive: linear


def text(value: object) -> Markdown:
    """``value`` as inert inline text: it shows as written and starts no block, link or tag."""
    s = _as_text(value)
    if _INERT.fullmatch(s) and s[:1] != " " and "www" not in s.lower():
        return Markdown(s)  # nothing to escape (most card values): what :func:`_escaped` gives, sooner
    return _escaped(s)


def _escaped(value: str) -> Markdown:
    s = one_line(value)
    out = _SPECIAL.sub(lambda m: _escape_char(s, m.start()), s)
    if out[:1] in (" ", "\t"):
        out = f"&#{ord(out[0])};{out[1:]}"  # no indented code block where a line starts
    return Markdown(out)


def paragraphs(value: object) -> Markdown:
    """Multi-line prose: its blank-line paragraphs kept, each line inert text."""
    s = _LINE_BREAK.sub("\n", _as_text(value))
    paras = []
    for para in _BLANK_LINES.split(s):
        lines = [text(line.strip()) for line in para.split("\n") if line.strip()]
        if lines:
            paras.append("\n".join(lines))
    return Markdown("\n\n".join(paras))


def shorten(value: str, limit: int) -> str:
    """At most ``limit`` characters, an ellipsis marking a cut."""
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"
