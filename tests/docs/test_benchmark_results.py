"""
docs/benchmarks.md and rpg/bench/results/ agree: every result file the page
names is there, every file there is one the page names, and every path and
link on the page leads somewhere.
"""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "benchmarks.md"
RESULTS = REPO / "rpg" / "bench" / "results"

# `rpg/bench/results/NAME` (NAME may hold a *): must be there.
_CITED = re.compile(r"`rpg/bench/results/([\w*.-]+)`")
# A bare `NAME.txt` or `NAME.json` beside them: a citation when there is such a file.
_BARE = re.compile(r"`([\w.-]+\.(?:txt|json))`")
# `rpg/bench/results/X.txt` (and `.json`): both files.
_AND_JSON = re.compile(r"results/([\w.-]+)\.txt`\s*\(and `\.json`\)")
_REPO_PATH = re.compile(r"`((?:rpg|tools|tests|docs|maps|web)/[\w./*-]+)`")
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_result_file_is_cited_and_every_citation_is_there():
    """No result file without a mention on the page, no mention of a file that is gone."""
    text = PAGE.read_text("utf-8")
    files = {path.name for path in RESULTS.iterdir()}
    cited = {pattern: {path.name for path in RESULTS.glob(pattern)}
             for pattern in set(_CITED.findall(text))
             | {stem + ".json" for stem in _AND_JSON.findall(text)}}
    missing = sorted(pattern for pattern, matches in cited.items() if not matches)
    named = set().union(*cited.values()) | (set(_BARE.findall(text)) & files)
    assert (missing, sorted(files - named)) == ([], [])


def test_every_path_and_link_on_the_page_exists():
    """Each repository path in backticks and each relative link of the page names a file there."""
    text = PAGE.read_text("utf-8")
    paths = [path for path in _REPO_PATH.findall(text) if not list(REPO.glob(path))]
    links = [link for link in _LINK.findall(text)
             if "://" not in link and not (PAGE.parent / link).exists()]
    assert (paths, links) == ([], [])
