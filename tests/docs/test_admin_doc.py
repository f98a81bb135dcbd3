"""
docs/admin.md and the README tell every ``rpg-admin`` sub-command, its
arguments and its options, read from the tool's own argparse parser.
"""

import argparse
import re

from rpg.admin import COMMANDS, build_parser
from tests.docs.markdown import code_spans, headings, read, section, table_rows


def subparsers():
    """C{{name: parser}} for each sub-command, as C{rpg-admin} builds them."""
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return parser, dict(action.choices)


def long_options(parser):
    """The parser's C{--options}, C{--help} left out."""
    return {option for action in parser._actions for option in action.option_strings
            if option.startswith("--") and option != "--help"}


def positionals(parser):
    """The metavars of the parser's positional arguments, in order."""
    return [action.metavar or action.dest for action in parser._actions
            if not action.option_strings]


def command_heading(name):
    """The title of the admin.md heading that documents sub-command C{name}."""
    for level, title in headings(read("admin.md")):
        if level == 3 and name in title.replace("`", " ").replace("/", " ").split():
            return title
    return None


def test_every_sub_command_has_a_section():
    """Each sub-command has a ### heading in docs/admin.md, and each such heading names one."""
    _, commands = subparsers()
    documented = [title for level, title in headings(read("admin.md")) if level == 3]
    missing = [name for name in commands if command_heading(name) is None]
    strays = [title for title in documented
              if not set(title.replace("`", " ").replace("/", " ").split()) & set(commands)]
    assert (missing, strays) == ([], [])


def test_every_argument_and_option_of_a_sub_command_is_documented():
    """A sub-command's heading names its positionals, and its section or the common table its options."""
    parser, commands = subparsers()
    common = long_options(parser)
    text = read("admin.md")
    table = {option for row in table_rows(text, ("option", "meaning"))
             for span in code_spans(row[0]) for option in span.split()}
    undocumented = {}
    for name, subparser in commands.items():
        title = command_heading(name)
        body = title + section(text, title)
        absent = [arg for arg in positionals(subparser) if arg not in title]
        absent += [option for option in sorted(long_options(subparser) - common)
                   if option not in body]
        if absent:
            undocumented[name] = absent
    assert (undocumented, sorted(common - table)) == ({}, [])


def test_the_readme_shows_every_sub_command():
    """The README's rpg-admin section shows each sub-command in use."""
    shown = set(re.findall(r"^rpg-admin ([\w-]+)|/ rpg-admin ([\w-]+)",
                           section(read("README.md"), "rpg-admin"), re.MULTILINE))
    shown = {name for pair in shown for name in pair if name}
    assert sorted(set(COMMANDS) - shown) == []
