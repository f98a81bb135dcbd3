"""
docs/configuration.md and the README tell every setting as the code has it:
each tunable with its actual default, each ``twistd rpg`` option (with the
default it takes when left out), each key of a ``[server]`` table, and TOML
examples that load.
"""

import dataclasses
import json
import re

import pytest

from rpg.config import SERVER_TUNABLES, Tunables, load_server_settings, load_tunables
from rpg.tap import Options
from tests.docs.markdown import cells, code_spans, read, section, table_rows

TUNABLE_TABLE = ("key", "default", "meaning")
OPTION_TABLE = ("option", "default", "meaning")
README_OPTION_TABLE = ("option", "default")
_TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def toml_literal(value):
    """A default as a TOML file would write it (what the docs show)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value)


def documented_tunables():
    """C{{key: default as written}} from every key/default/meaning table."""
    documented = {}
    for row in table_rows(read("configuration.md"), TUNABLE_TABLE):
        keys, defaults = code_spans(row[0]), code_spans(row[1])
        # A row may pair several keys with as many defaults ("`a`, `b` | `1`, `2`").
        for position, key in enumerate(keys):
            documented[key] = defaults[position] if position < len(defaults) else None
    return documented


def option_names():
    """Every ``twistd rpg`` option, as C{--name}."""
    return [f"--{name}" for name, *_ in Options.optParameters] + \
           [f"--{name}" for name, *_ in getattr(Options, "optFlags", [])]


def test_every_tunable_is_documented_with_its_default():
    """Each field of Tunables has a row in docs/configuration.md whose default is the field's."""
    documented = documented_tunables()
    wrong = {field.name: (documented.get(field.name, "missing"), toml_literal(field.default))
             for field in dataclasses.fields(Tunables)
             if documented.get(field.name) != toml_literal(field.default)}
    assert wrong == {}


def test_every_documented_tunable_exists():
    """No row of the tunable tables names a key the server would refuse."""
    fields = {field.name for field in dataclasses.fields(Tunables)}
    assert sorted(set(documented_tunables()) - fields) == []


def test_every_option_is_in_the_configuration_table_with_its_default():
    """Each option of rpg.tap.Options has a row; an option with a default shows it."""
    rows = {code_spans(row[0])[0]: row for row in
            table_rows(read("configuration.md"), OPTION_TABLE)}
    missing = [name for name in option_names() if name not in rows]
    wrong_default = {name: rows[f"--{name}"][1] for name, value in Options.option_defaults.items()
                     if f"--{name}" in rows and f"`{value}`" not in rows[f"--{name}"][1]}
    assert (missing, wrong_default, sorted(set(rows) - set(option_names()))) == ([], {}, [])


def test_every_option_is_in_the_readme_table():
    """The README's options table lists each option, and no option that is gone."""
    rows = {code_spans(row[0])[0]: row for row in
            table_rows(read("README.md"), README_OPTION_TABLE)}
    wrong_default = {name: rows[f"--{name}"][1] for name, value in Options.option_defaults.items()
                     if f"--{name}" in rows and f"`{value}`" not in rows[f"--{name}"][1]}
    assert (sorted(set(option_names()) - set(rows)), sorted(set(rows) - set(option_names())),
            wrong_default) == ([], [], {})


def test_every_server_table_key_is_named():
    """The [server] section names each key a [server] table takes, options and tunables alike."""
    text = section(read("configuration.md"), "One file for the server and `rpg-admin` (`[server]`)")
    named = set(code_spans(text))
    keys = Options.server_settings() | set(SERVER_TUNABLES)
    assert sorted(keys - named) == []


@pytest.mark.parametrize("number", range(len(_TOML_BLOCK.findall(read("configuration.md")))))
def test_the_toml_examples_load(number, tmp_path):
    """Each TOML example of docs/configuration.md loads as the server and rpg-admin read it."""
    path = tmp_path / "rpg.toml"
    path.write_text(_TOML_BLOCK.findall(read("configuration.md"))[number], "utf-8")
    tunables = load_tunables(str(path))
    settings = load_server_settings(str(path), Options.server_settings())
    assert isinstance(tunables, Tunables) and isinstance(settings, dict)


def test_the_server_table_example_is_given_to_the_options(tmp_path):
    """The [server] example fills every option it names, and the command line still wins."""
    [example] = [block for block in _TOML_BLOCK.findall(read("configuration.md"))
                 if "[server]" in block]
    path = tmp_path / "rpg.toml"
    path.write_text(example, "utf-8")
    options = Options(environ={})
    options["config"] = str(path)
    options["listen"] = "tcp:9999"
    options.apply_config_file()
    assert (options["listen"], options["database"], options["start-map"]) == (
        "tcp:9999", "postgresql://rpg@db:5432/rpg", "town")


def test_the_server_table_example_is_read_by_rpg_admin(tmp_path):
    """rpg-admin --config with the [server] example takes its database, maps, Valkey and secret file."""
    from rpg.admin import apply_config, build_parser

    [example] = [block for block in _TOML_BLOCK.findall(read("configuration.md"))
                 if "[server]" in block]
    path = tmp_path / "rpg.toml"
    path.write_text(example, "utf-8")
    args = build_parser().parse_args(["--config", str(path), "broadcast", "hello"])
    apply_config(args)
    assert (args.database, args.valkey, args.jwt_secret_file, args.data_dir) == (
        "postgresql://rpg@db:5432/rpg", "redis://cache:6379/0", "/etc/rpg/jwt-secret",
        "/var/lib/rpg")


def test_the_cells_reader_keeps_pipes_in_code():
    """A | inside a code span stays in its cell (the reader the tests above rely on)."""
    assert cells("| `a|b` | c |") == ["`a|b`", "c"]
