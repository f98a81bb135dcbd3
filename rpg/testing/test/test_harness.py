"""
rpg.testing's own tests: every documented call, time in tick steps, and the
same bytes for the same seed.  They run under trial (C{trial rpg.testing})
and pytest alike.
"""

import doctest
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgpack
from twisted.trial.unittest import SynchronousTestCase

import rpg.testing
from rpg.config import ConfigError
from rpg.testing import GameHarness, NoReply, write_map

FIELD = """
............
....Sg......
............
............
"""


def field(directory):
    """A 12x4 field: the spawn at 4,1 with a goblin beside it at 5,1."""
    return write_map(directory, "field", FIELD, npcs={"g": "goblin"})


def temporary_directory(case):
    """A directory removed after the test (C{mktemp} would write under pytest's cwd)."""
    directory = tempfile.mkdtemp()
    case.addCleanup(shutil.rmtree, directory)
    return directory


def fight(seed, directory):
    """A scripted session: log in, chat, walk, fight the goblin; every frame alice got."""
    harness = GameHarness(maps=directory, start_map="field", seed=seed)
    alice = harness.connect("alice")
    alice.request("cmd_chat_send", {"channel": "local", "message": "hello"})
    alice.request("cmd_attack", {"target_id": "npc_1", "target_type": "npc"})
    harness.advance(20)
    alice.request("cmd_move", {"direction": "LEFT"})
    alice.send_raw(b"\xc1")
    harness.close()
    return alice.frames


DIGEST_SCRIPT = """
import hashlib, tempfile
from rpg.testing.test.test_harness import field, fight
with tempfile.TemporaryDirectory() as directory:
    print(hashlib.sha256(b"".join(fight(11, field(directory)))).hexdigest())
"""


class HarnessTests(SynchronousTestCase):
    def setUp(self):
        self.maps = field(temporary_directory(self))
        self.harness = GameHarness(maps=self.maps, start_map="field", seed=7)
        self.addCleanup(self.harness.close)

    def test_connect_delivers_the_welcome_sequence(self):
        """connect() logs in: the welcome is kept, what follows it waits in events()."""
        alice = self.harness.connect("alice")
        self.assertEqual(alice.welcome["type"], "event_welcome")
        self.assertEqual(alice.welcome["payload"]["username"], "alice")
        self.assertEqual(alice.player_id, alice.welcome["payload"]["player_id"])
        self.assertEqual([e["type"] for e in alice.events()], [
            "event_chat_message", "event_skills", "event_inventory_update",
            "event_equipment_update", "event_game_update", "event_ground_items_update"])
        self.assertIsNone(alice.closed)

    def test_connect_gives_the_role(self):
        """A moderator made by connect() may send global chat; a player may not."""
        mod = self.harness.connect("mod", role="moderator")
        player = self.harness.connect("pat")
        self.assertEqual(mod.request("cmd_chat_send", {"channel": "global", "message": "hi"})
                         ["type"], "resp_success")
        refused = player.request("cmd_chat_send", {"channel": "global", "message": "hi"})
        self.assertEqual(refused["payload"]["error_code"], "CHAT_PERMISSION_DENIED")

    def test_a_command_is_answered_by_the_next_tick(self):
        """request() moves time one tick at a time until the tick answers the command."""
        alice = self.harness.connect("alice")
        reply = alice.request("cmd_move", {"direction": "LEFT"})
        self.assertEqual(reply["type"], "resp_success")
        position = reply["payload"]["new_position"]
        self.assertEqual((position["x"], position["y"]), (3, 1))
        self.assertEqual(self.harness.clock.seconds(), 0.05)
        self.assertEqual(self.harness.world_service.tick_number, 1)

    def test_a_query_answered_at_once_takes_no_time(self):
        """A chunk query is answered outside the tick: the clock does not move."""
        alice = self.harness.connect("alice")
        reply = alice.request("query_chunks", {"map_id": "field", "chunk_x": 0, "chunk_y": 0,
                                               "radius": 0})
        self.assertEqual(reply["type"], "resp_success")
        self.assertEqual(self.harness.clock.seconds(), 0)

    def test_an_error_reply_is_returned_not_raised(self):
        """A refused command comes back as its resp_error envelope."""
        alice = self.harness.connect("alice")
        reply = alice.request("cmd_move", {"direction": "NORTH"})
        self.assertEqual((reply["type"], reply["payload"]["error_code"]),
                         ("resp_error", "MOVEMENT_INVALID_DIRECTION"))

    def test_request_fails_after_five_simulated_seconds(self):
        """A request nobody answers raises NoReply once 5 simulated seconds have passed."""
        alice = self.harness.connect("alice")
        self.harness.world_service.submit = lambda client, request: None  # lost
        self.assertRaises(NoReply, alice.request, "query_inventory")
        self.assertEqual(self.harness.clock.seconds(), 5.0)

    def test_send_raw_replies_go_to_events(self):
        """A frame sent raw is answered in events(), here with a null id."""
        alice = self.harness.connect("alice")
        alice.clear()
        alice.send_raw(b"\xc1")
        alice.send_raw(msgpack.packb({"id": "x", "type": "cmd_fly", "version": "2.0"}))
        self.assertEqual([(e["id"], e["payload"]["error_code"]) for e in alice.events()],
                         [(None, "INVALID_MESSAGE_FORMAT"), ("x", "UNKNOWN_MESSAGE_TYPE")])

    def test_events_filter_by_type_and_clear_forgets(self):
        """events(type) keeps only that type, oldest first; clear() empties the list."""
        alice = self.harness.connect("alice")
        self.assertEqual(len(alice.events("event_skills")), 1)
        alice.clear()
        self.assertEqual(alice.events(), [])
        bob = self.harness.connect("bob")
        bob.request("cmd_chat_send", {"channel": "local", "message": "one"})
        self.harness.advance(1)
        bob.request("cmd_chat_send", {"channel": "local", "message": "two"})
        said = [e["payload"]["message"] for e in alice.events("event_chat_message")]
        self.assertEqual(said, ["one", "two"])

    def test_request_keeps_the_events_that_came_before_the_reply(self):
        """Events that arrive while request() waits stay in events(); only the reply is taken."""
        alice = self.harness.connect("alice")
        alice.clear()
        alice.request("cmd_move", {"direction": "LEFT"})
        self.assertEqual([e["type"] for e in alice.events()], ["event_game_update"])

    def test_advance_moves_time_in_tick_steps(self):
        """advance(1) at 20 ticks a second runs 20 ticks; a fraction of a tick runs one."""
        self.harness.advance(1)
        self.assertEqual((self.harness.world_service.tick_number, self.harness.clock.seconds()),
                         (20, 1.0))
        self.harness.advance(0.01)
        self.assertEqual(self.harness.world_service.tick_number, 21)
        self.assertEqual(self.harness.world_service.missed_ticks, 0)

    def test_a_tick_falls_on_the_next_multiple_after_the_clock_moved(self):
        """After the clock itself moved 0.12 s, the next tick is at 0.15 s, not 0.17."""
        self.harness.clock.advance(0.12)
        self.harness.step()
        self.assertEqual((self.harness.clock.seconds(), self.harness.world_service.tick_number),
                         (3 * 0.05, 1))

    def test_config_sets_tunables(self):
        """config takes the --config tunables: here 10 ticks a second; an unknown key is refused."""
        harness = GameHarness(maps=self.maps, start_map="field", config={"tick_rate": 10})
        self.addCleanup(harness.close)
        harness.advance(1)
        self.assertEqual(harness.world_service.tick_number, 10)
        self.assertRaises(ConfigError, GameHarness, maps=self.maps, config={"tick_rat": 10})

    def test_world_is_the_game_world(self):
        """harness.world shows the world the commands changed."""
        alice = self.harness.connect("alice")
        alice.request("cmd_move", {"direction": "UP"})
        player = self.harness.world.player(alice.player_id)
        self.assertEqual((player.x, player.y), (4, 0))

    def test_closed_after_too_many_failed_logins(self):
        """closed is None while open, then the server's close code (1008 here)."""
        client = self.harness.open_connection()
        for _ in range(4):
            client.request("cmd_authenticate", {"token": "nonsense"})
        self.assertIsNone(client.closed)
        reply = client.request("cmd_authenticate", {"token": "nonsense"})
        self.assertEqual(reply["payload"]["error_code"], "AUTHENTICATION_FAILED")
        self.assertEqual(client.closed, 1008)
        self.assertRaises(ConnectionError, client.send_raw, b"\x80")

    def test_auth_timeout_runs_on_the_clock(self):
        """A connection that never logs in is closed with 1008 after auth_timeout_s."""
        client = self.harness.open_connection()
        self.harness.advance(9.95)
        self.assertIsNone(client.closed)
        self.harness.advance(0.05)
        self.assertEqual(client.closed, 1008)

    def test_a_second_login_closes_the_first(self):
        """Logging in again closes the older connection with 4001."""
        first = self.harness.connect("alice")
        second = self.harness.connect("alice")
        self.assertEqual(first.closed, 4001)
        self.assertIsNone(second.closed)

    def test_disconnect_saves_the_player(self):
        """A client that disconnects is taken out and saved where it stood."""
        alice = self.harness.connect("alice")
        alice.request("cmd_move", {"direction": "DOWN"})
        alice.disconnect()
        self.assertEqual(alice.closed, 1000)
        self.assertNotIn(alice.player_id, self.harness.world.engine.players)
        back = self.harness.connect("alice")
        self.assertEqual((back.welcome["payload"]["x"], back.welcome["payload"]["y"]), (4, 2))

    def test_close_saves_everyone_and_closes_with_1001(self):
        """close() saves every player as a shutdown does and closes connections with 1001."""
        alice = self.harness.connect("alice")
        alice.request("cmd_move", {"direction": "DOWN"})
        self.harness.close()
        self.assertEqual(alice.closed, 1001)
        saved = self.harness.store._characters[alice.player_id]
        self.assertEqual((saved.x, saved.y), (4, 2))

    def test_hundreds_of_commands_a_second(self):
        """Speed: 400 commands (moves answered by ticks, and queries) in well under 4 s."""
        alice = self.harness.connect("alice")
        started = time.perf_counter()
        for n in range(200):
            alice.request("cmd_move", {"direction": "DOWN" if n % 2 else "UP"})
            alice.request("query_inventory")
        self.assertLess(time.perf_counter() - started, 4.0)


class DeterminismTests(SynchronousTestCase):
    def test_same_seed_same_bytes(self):
        """Two runs with one seed and one script get the same frames, byte for byte."""
        maps = field(temporary_directory(self))
        self.assertEqual(fight(11, maps), fight(11, maps))

    def test_same_bytes_in_another_process(self):
        """
        Fresh processes (with one PYTHONHASHSEED) get the same bytes: nothing
        reads the wall clock, the global random or anything else of the run.
        """
        env = dict(os.environ, PYTHONHASHSEED="0",
                   PYTHONPATH=str(Path(rpg.testing.__file__).parents[2]))
        runs = {subprocess.run([sys.executable, "-c", DIGEST_SCRIPT], env=env, check=True,
                               capture_output=True, text=True, timeout=120).stdout
                for _ in range(2)}
        self.assertEqual(len(runs), 1)
        self.assertEqual(len(runs.pop().strip()), 64)

    def test_the_seed_reaches_the_fight(self):
        """Another seed rolls other hits: the seed is what the world's chance comes from."""
        maps = field(temporary_directory(self))
        self.assertNotEqual(fight(11, maps), fight(12, maps))


class DocTests(SynchronousTestCase):
    def test_the_example_in_the_docstring_runs(self):
        """rpg.testing's own example (on the shipped maps) works as written."""
        result = doctest.testmod(rpg.testing)
        self.assertEqual((result.failed, result.attempted), (0, 4))


def test_in_a_plain_pytest_function():
    """No reactor and no TestCase needed: a plain function drives the harness."""
    with tempfile.TemporaryDirectory() as directory:
        harness = GameHarness(maps=field(directory), start_map="field", seed=1)
        alice = harness.connect("alice")
        assert alice.request("query_equipment")["type"] == "resp_success"
        harness.close()
