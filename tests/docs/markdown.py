"""
Reading the docs as data: sections by heading, tables by rows, links and
their anchors, with fenced code blocks left out where prose is meant.
"""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_CODE_SPAN = re.compile(r"`([^`]*)`")


def read(name):
    """The text of C{docs/NAME}, or of C{README.md}."""
    path = REPO / name if name == "README.md" else DOCS / name
    return path.read_text("utf-8")


def without_code_blocks(text):
    """C{text} with every fenced block blanked out (same length, its line breaks kept)."""
    return _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def headings(text):
    """C{[(level, title)]} of the headings outside code blocks."""
    return [(len(m.group(1)), m.group(2))
            for m in _HEADING.finditer(without_code_blocks(text))]


def section(text, title):
    """
    The body of the first heading whose title is C{title} (up to the next
    heading of the same or a higher level).

    @raise LookupError: no such heading.
    """
    prose = without_code_blocks(text)
    found = [m for m in _HEADING.finditer(prose)]
    for index, match in enumerate(found):
        if match.group(2) == title:
            level = len(match.group(1))
            end = next((later.start() for later in found[index + 1:]
                        if len(later.group(1)) <= level), len(text))
            return text[match.end():end]
    raise LookupError(f"no heading {title!r}")


def table_rows(text, header):
    """
    The rows of every table in C{text} whose header row's cells are
    C{header}: a list of cell lists (cells stripped, C{|} inside code spans
    kept).
    """
    rows = []
    lines = without_code_blocks(text).splitlines()
    for index, line in enumerate(lines):
        if cells(line) != list(header):
            continue
        for row in lines[index + 2:]:
            if not row.startswith("|"):
                break
            rows.append(cells(row))
    return rows


def cells(line):
    """The cells of one table line; C{[]} for a line that is not a table row."""
    line = line.strip()
    if not line.startswith("|"):
        return []
    protected = _CODE_SPAN.sub(lambda m: m.group(0).replace("|", "\0"), line)
    return [cell.strip().replace("\0", "|") for cell in protected.strip("|").split("|")]


def code_spans(text):
    """The contents of the C{`code spans`} in C{text}, in order."""
    return _CODE_SPAN.findall(text)


def slug(title):
    """The anchor GitHub gives a heading: lower case, punctuation out, spaces to C{-}."""
    title = _CODE_SPAN.sub(r"\1", title)
    title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link keeps its text
    title = title.strip().lower()
    title = re.sub(r"[^\w\- ]", "", title)
    return title.replace(" ", "-")


def anchors(text):
    """Every heading's anchor in C{text}, repeated titles numbered as GitHub does."""
    seen = {}
    result = set()
    for _, title in headings(text):
        base = slug(title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result
