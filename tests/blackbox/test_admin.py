"""Black box: rpg-admin against a running server's database (docs/admin.md; clarifications,
"Session": rpg-admin refuses to change an online player)."""

import pytest
import pytest_twisted

from .harness import PASSWORD, field, fresh, item_id, reply_error, reply_ok

SERVER = dict(maps={"field": field(width=32, height=32, walls=[(9, 9)])}, start_map="field")


def refused(result):
    return result.returncode == 1 and result.stderr.startswith("rpg-admin:") \
        and len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


def done(result):
    return result.returncode == 0 and result.stdout.strip() and result.stderr == ""


def maps(server):
    return ["--maps", str(server.maps_dir)]


async def registered(server):
    name = fresh("adm")
    await server.register(name)
    return name


@pytest_twisted.ensureDeferred
async def test_migrate(server):
    """migrate on the server's database exits 0 with one line."""
    assert done(server.admin("migrate"))


@pytest.mark.parametrize("args", [
    ["set-role", "{user}", "emperor"], ["set-role", "{user}"], ["teleport", "{user}", "x", "1"],
    ["give", "{user}", "bones", "many"], ["no-such-command"], []])
@pytest_twisted.ensureDeferred
async def test_bad_usage_exits_2(server, args):
    """Bad usage (unknown command, missing argument, bad role, non-integer) exits 2."""
    name = await registered(server)
    assert server.admin(*[a.format(user=name) for a in args]).returncode == 2


@pytest.mark.parametrize("command", [["set-role", "{user}", "admin"], ["ban", "{user}"],
                                     ["unban", "{user}"], ["teleport", "{user}", "1", "1"],
                                     ["give", "{user}", "bones"], ["kick", "{user}"],
                                     ["revoke", "{user}"]])
@pytest_twisted.ensureDeferred
async def test_unknown_user_is_refused(server, command):
    """Every command refuses an unknown user with exit 1 and one rpg-admin: line."""
    args = [a.format(user=fresh("nobody")) for a in command]
    if args[0] in ("teleport", "give"):
        args += maps(server)
    assert refused(server.admin(*args))


@pytest.mark.parametrize("command", [["teleport", "{user}", "2", "2"],
                                     ["give", "{user}", "bones"]])
@pytest_twisted.ensureDeferred
async def test_online_players_are_refused(server, command):
    """Character commands refuse a player who is online (exit 1, names it online) and change
    nothing (account commands work online: docs/admin.md)."""
    client = await server.player()
    args = [a.format(user=client.username) for a in command]
    if args[0] in ("teleport", "give"):
        args += maps(server)
    result = server.admin(*args)
    assert refused(result) and "online" in result.stderr
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    assert len(inventory) == 5
    assert (await reply_ok(client, "cmd_move", {"direction": "UP"}))["old_position"] == \
        {"x": 5, "y": 5, "map_id": "field"}


@pytest_twisted.ensureDeferred
async def test_after_logout_commands_work_again(server):
    """Once the player has logged out (and was saved), rpg-admin may change it."""
    client = await server.player()
    await client.close()
    await server.offline(client.username)
    assert done(server.admin("give", client.username, "bones", *maps(server)))


@pytest_twisted.ensureDeferred
async def test_set_role_allows_global_chat(server):
    """set-role moderator lets the player send on the global channel."""
    name = await registered(server)
    assert done(server.admin("set-role", name.upper(), "moderator"))
    client = await server.player(name, register=False)
    await reply_ok(client, "cmd_chat_send", {"channel": "global", "message": "hear ye"})


@pytest_twisted.ensureDeferred
async def test_ban_and_unban(server):
    """A banned player cannot authenticate; unbanned, it can."""
    name = await registered(server)
    assert done(server.admin("ban", name))
    client = await server.connect()
    error = await reply_error(client, "cmd_authenticate", {"token": server.token(name)})
    assert error["error_code"] == "AUTHENTICATION_FAILED"
    assert done(server.admin("unban", name))
    welcome = await client.request("cmd_authenticate", {"token": server.token(name)})
    assert welcome["type"] == "event_welcome"


@pytest_twisted.ensureDeferred
async def test_kick_and_ban_of_an_online_player(server):
    """kick closes an online player's connection with 4003 and the reason; ban does too, then
    its login is 403 with no token."""
    client = await server.player()
    result = server.admin("kick", client.username, "--reason", "take a break")
    assert done(result), result.stderr
    assert await client.wait_closed() == (4003, "take a break")
    client = await server.player(client.username, register=False)
    assert done(server.admin("ban", client.username))
    assert await client.wait_closed() == (4003, "banned")
    status, body, _ = await server.post("/auth/login",
                                        {"username": client.username, "password": PASSWORD})
    assert status == 403 and "access_token" not in body


@pytest_twisted.ensureDeferred
async def test_teleport(server):
    """teleport puts an offline player on the tile; it logs in there."""
    name = await registered(server)
    assert done(server.admin("teleport", name, "20", "21", *maps(server)))
    client = await server.player(name, register=False)
    assert (client.welcome["payload"]["x"], client.welcome["payload"]["y"]) == (20, 21)


@pytest.mark.parametrize("args", [["9", "9"], ["32", "0"], ["-1", "3"], ["1", "1", "--map", "moon"]])
@pytest_twisted.ensureDeferred
async def test_teleport_refusals(server, args):
    """A blocked tile, a tile off the map or an unknown map is refused and nothing moves."""
    name = await registered(server)
    assert refused(server.admin("teleport", name, *args, *maps(server)))
    client = await server.player(name, register=False)
    assert (client.welcome["payload"]["x"], client.welcome["payload"]["y"]) == (5, 5)


@pytest.mark.parametrize("item, quantity", [("coins", "250"), (str(item_id("bones")), "2")])
@pytest_twisted.ensureDeferred
async def test_give(server, item, quantity):
    """give by key or id puts the items in the inventory (a stack, or one slot each)."""
    name = await registered(server)
    assert done(server.admin("give", name, item, quantity, *maps(server)))
    client = await server.player(name, register=False)
    inventory = (await reply_ok(client, "query_inventory", {}))["inventory"]
    given = [i for i in inventory.values() if str(i["item_id"]) == item
             or i["name"].lower() == item]
    assert sum(i["quantity"] for i in given) == int(quantity)


@pytest.mark.parametrize("args", [["dragon_egg"], ["bones", "0"], ["bones", "-3"],
                                  ["bones", "24"]])
@pytest_twisted.ensureDeferred
async def test_give_refusals(server, args):
    """An unknown item, a quantity below 1 or no room for all of it is refused, changing nothing."""
    name = await registered(server)
    assert refused(server.admin("give", name, *args, *maps(server)))
    client = await server.player(name, register=False)
    assert len((await reply_ok(client, "query_inventory", {}))["inventory"]) == 5


@pytest_twisted.ensureDeferred
async def test_broadcast_without_valkey_is_refused(server):
    """broadcast without --valkey cannot reach a server: exit 1."""
    assert refused(server.admin("broadcast", "hello", database=False))


@pytest_twisted.ensureDeferred
async def test_a_crashed_servers_online_record_expires(tmp_path):
    """After a server is killed, its players' online records expire within online_ttl_s."""
    import time
    from twisted.internet import reactor, task
    from .harness import BlackBoxServer
    own = BlackBoxServer(tmp_path, maps={"field": field()}, start_map="field",
                         config={"online_ttl_s": 1.5})
    try:
        client = await own.player()
        give = ("give", client.username, "bones", "--maps", str(own.maps_dir))
        result = own.admin(*give)
        assert refused(result) and "online" in result.stderr
        own.process.kill()
        started = time.monotonic()
        while refused(own.admin(*give)):
            assert time.monotonic() - started < 1.5 + 3.0, "record did not expire"
            await task.deferLater(reactor, 0.2, lambda: None)
    finally:
        own.stop()
