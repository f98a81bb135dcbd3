"""
The whole-tick harness (L{rpg.bench.tick_phases}): a real world service and
the edge's framing on simulated time, no sockets.
"""

from rpg.bench import tick_phases


def test_a_short_run_times_every_phase_and_frames_what_players_get(capsys):
    """Forty walkers for 5 s: every phase and the send timed each tick, updates framed."""
    options = tick_phases.parse_args(["--players", "40", "--seconds", "5", "--warmup", "1",
                                      "--density", "8"])
    phases, written = tick_phases.run(options)
    assert {name: phases[name].count for name in tick_phases.PHASES} == dict.fromkeys(
        tick_phases.PHASES, 100)
    assert written > 40 * 5 * 100  # replies and updates: some 100 bytes a second or more
    assert "visibility" in capsys.readouterr().out


def test_a_crowd_sees_each_other_move(tmp_path):
    """In crowd mode every player starts within a chunk of the spawn and gets others' moves."""
    options = tick_phases.parse_args(["--players", "30", "--crowd"])
    service, factory, clock, bots, side = tick_phases.build(options, tmp_path)
    centre = side // 2
    assert all(abs(bot.player.x - centre) <= 16 and abs(bot.player.y - centre) <= 16
               for bot in bots)
    sent = bots[0].client.protocol.transport
    before = sent.written
    for bot in bots[1:]:
        service.submit(bot.client, tick_phases.Request("m", "cmd_move", {"direction": "UP"}))
    clock.advance(0.05)
    service.tick(1)
    assert sent.written > before  # the others' moves reached player 1
