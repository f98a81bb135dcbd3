"""
The relative links of README.md and docs/*.md lead somewhere: each file
exists, and each anchor (``page.md#heading``, ``#heading``) is a heading of
its page.  The README links every page of docs/.
"""

import re

import pytest

from tests.docs.markdown import DOCS, REPO, anchors, slug, without_code_blocks

PAGES = [REPO / "README.md"] + sorted(DOCS.glob("*.md"))
# [text](target) and [text](target "title"), outside code spans.
_LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE_SPAN = re.compile(r"`[^`]*`")


def relative_links(path):
    """The page's link targets that stay in the repository (no scheme, no mail)."""
    prose = _CODE_SPAN.sub("", without_code_blocks(path.read_text("utf-8")))
    return [target for target in _LINK.findall(prose)
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def broken(path, target):
    """Why C{target} on page C{path} leads nowhere, or C{None}."""
    file_part, _, anchor = target.partition("#")
    destination = (path.parent / file_part).resolve() if file_part else path
    if not destination.exists():
        return "no such file"
    if anchor and destination.suffix == ".md" \
            and anchor not in anchors(destination.read_text("utf-8")):
        return "no such heading"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_leads_somewhere(page):
    """Each relative link of the page names a file there, and a heading of it when it has an anchor."""
    assert {target: broken(page, target) for target in relative_links(page)
            if broken(page, target)} == {}


def test_the_readme_links_every_doc():
    """Every page of docs/ is linked from the README."""
    linked = {(REPO / target.partition("#")[0]).resolve()
              for target in relative_links(REPO / "README.md")}
    assert sorted(page.name for page in DOCS.glob("*.md") if page.resolve() not in linked) == []


def test_anchors_are_github_s():
    """The anchors the check uses are those GitHub gives: code marks and punctuation out."""
    assert slug("`move_cooldown_ms` in the welcome (added)") == "move_cooldown_ms-in-the-welcome-added"
    assert slug("Hostile clients: the WebSocket message budget") == \
        "hostile-clients-the-websocket-message-budget"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}
