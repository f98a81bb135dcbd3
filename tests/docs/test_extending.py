"""
docs/extending.md runs: its Python blocks, in order, are one module whose
test functions and TestCase classes are collected here.

Each block keeps its line numbers in the guide, so a failure points at the
guide's own line.  The tests run in a temporary working directory (trial's
C{mktemp} names directories under it).
"""

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "extending.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def guide_source(text):
    """The guide's Python blocks as one module, each at its line in the guide."""
    lines = [""] * text.count("\n")
    for match in _BLOCK.finditer(text):
        first = text.count("\n", 0, match.start(1))
        for offset, line in enumerate(match.group(1).splitlines()):
            lines[first + offset] = line
    return "\n".join(lines) + "\n"


def load_guide():
    namespace = {"__name__": "extending_guide"}
    exec(compile(guide_source(GUIDE.read_text(encoding="utf-8")), str(GUIDE), "exec"),
         namespace)
    return namespace


_guide = load_guide()
GUIDE_TESTS = sorted(name for name in _guide if name.startswith("test_")
                     or name.endswith("Tests"))
globals().update({name: _guide[name] for name in GUIDE_TESTS})


@pytest.fixture(autouse=True)
def in_a_temporary_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_the_guide_has_an_example_for_each_extension():
    """The guide tests a map, an item effect, an NPC, a command, and one trial TestCase."""
    assert GUIDE_TESTS == [
        "EmoteTests",
        "test_a_new_player_starts_in_the_village_and_sees_the_goblins",
        "test_an_emote_is_shown_to_players_near",
        "test_the_elixir_heals_to_full_and_is_kept_at_full_health",
        "test_the_portal_leads_to_the_meadow",
        "test_the_scarecrow_paces_and_drops_an_elixir",
    ]
