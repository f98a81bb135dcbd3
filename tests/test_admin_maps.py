"""
rpg-admin maps: each map's owner (leases in Valkey) and its online players
(the database), as text and as JSON.
"""

import json

import pytest
import pytest_twisted

from rpg import admin
from rpg.models import CharacterState
from tests.test_admin import SERVER, maps, rpg_admin  # noqa: F401 (fixtures)


async def players(rpg_admin, *online, offline=(), ttl=30):
    """Register each (username, map_id) and mark those in C{online} online."""
    store = await rpg_admin.store()
    try:
        ids = []
        for username, map_id in online + tuple(offline):
            account = await store.create_account(username, "hash",
                                                 CharacterState(0, "", map_id, 1, 1))
            ids.append(account.player_id)
        await store.mark_online(ids[:len(online)], SERVER, ttl)
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_without_valkey_says_one_process_serves_every_map(rpg_admin, maps):
    """Without --valkey: a line saying one process serves every map, then each map's player count."""
    await players(rpg_admin, ("Bob", "cave"), ("carol", "town"), offline=[("Dave", "town")])
    assert await rpg_admin("maps") == 0, rpg_admin.err
    assert rpg_admin.out.splitlines() == [
        admin.NO_VALKEY_NOTE,
        "MAP   PLAYERS",
        "cave  1",
        "town  1",
        "2 maps; 2 players online",
    ]


@pytest_twisted.ensureDeferred
async def test_players_option_names_them_and_expired_records_do_not_count(rpg_admin, maps):
    """--players lists the usernames after the count; a lapsed online record is not counted."""
    await players(rpg_admin, ("Bob", "town"), ("carol", "town"))
    await players(rpg_admin, ("Erin", "cave"), ttl=5)
    rpg_admin.clock.advance(10)
    assert await rpg_admin("maps", "--players") == 0
    assert rpg_admin.out.splitlines()[1:] == [
        "MAP   PLAYERS",
        "cave  0",
        "town  2: Bob, carol",
        "2 maps; 2 players online",
    ]


@pytest_twisted.ensureDeferred
async def test_a_map_outside_the_maps_directory_is_listed_and_named(rpg_admin, maps):
    """Players on a map the directory lacks are still counted, and the summary names that map."""
    await players(rpg_admin, ("Bob", "moon"))
    assert await rpg_admin("maps") == 0
    lines = rpg_admin.out.splitlines()
    assert "moon  1" in lines
    assert lines[-1] == "3 maps; 1 players online; not in the maps directory: moon"


@pytest_twisted.ensureDeferred
async def test_json_without_valkey(rpg_admin, maps):
    """--json prints one object: no owners without Valkey, counts, and usernames with --players."""
    await players(rpg_admin, ("Bob", "cave"))
    assert await rpg_admin("maps", "--json") == 0
    assert json.loads(rpg_admin.out) == {
        "valkey": False, "players_online": 1, "maps": [
            {"map_id": "cave", "in_maps_dir": True, "players": 1},
            {"map_id": "town", "in_maps_dir": True, "players": 0}]}
    assert await rpg_admin("maps", "--json", "--players") == 0
    assert [m["usernames"] for m in json.loads(rpg_admin.out)["maps"]] == [["Bob"], []]


@pytest_twisted.ensureDeferred
async def test_maps_directory_comes_from_the_option(rpg_admin, maps):
    """--maps DIR is where the maps are read from."""
    assert await rpg_admin("maps", "--maps", "/srv/rpg/maps") == 0
    assert maps == ["/srv/rpg/maps"]


@pytest.mark.parametrize("url, message", [
    ("http://127.0.0.1:6379/0", "rpg-admin: bad Valkey URL"),
    ("redis://127.0.0.1:1/0", "rpg-admin: cannot reach Valkey at redis://127.0.0.1:1/0"),
])
@pytest_twisted.ensureDeferred
async def test_bad_or_unreachable_valkey_fails(rpg_admin, maps, url, message):
    """A bad --valkey URL or a Valkey that does not answer is exit code 1 with one line."""
    assert await rpg_admin("maps", "--valkey", url) == 1
    assert rpg_admin.err.startswith(message) and rpg_admin.err.count("\n") == 1
    assert rpg_admin.out == ""


@pytest_twisted.ensureDeferred
async def test_owners_come_from_the_leases_in_valkey(rpg_admin, maps, monkeypatch):
    """With --valkey each map shows its lease's server, epoch and link address, or "no owner"."""
    from tests.store.test_presence_contract import ValkeyLab, valkey_url
    lab = ValkeyLab(valkey_url())
    lab.admin = await lab.open()
    monkeypatch.setattr(admin, "VALKEY_NAMESPACE", lab.namespace)
    try:
        await lab.admin.leases.acquire("town", "web-1-4242-a1b2c3", "tcp:10.0.0.1:7001", 30)
        await players(rpg_admin, ("Bob", "town"), ("carol", "cave"))
        assert await rpg_admin("maps", "--valkey", lab.url, "--players") == 0, rpg_admin.err
        assert rpg_admin.out.splitlines() == [
            "MAP   OWNER              EPOCH  LINK               PLAYERS",
            "cave  no owner           -      -                  1: carol",
            "town  web-1-4242-a1b2c3  1      tcp:10.0.0.1:7001  1: Bob",
            "2 maps, 1 without an owner; 2 players online",
        ]
        assert await rpg_admin("maps", "--valkey", lab.url, "--json") == 0
        listed = json.loads(rpg_admin.out)
        assert listed["valkey"] is True
        assert [m["owner"] for m in listed["maps"]] == [None, {
            "server_id": "web-1-4242-a1b2c3", "epoch": 1, "address": "tcp:10.0.0.1:7001"}]
    finally:
        await lab.cleanup()


def test_options_may_follow_the_command():
    """maps takes --valkey, --json and --players after its name; --players is off by default."""
    args = admin.build_parser().parse_args(["maps", "--valkey", "redis://h:1/0", "--json"])
    assert (args.command, args.valkey, args.json, args.players) == (
        "maps", "redis://h:1/0", True, False)
