"""
``rpg-bench``: a swarm of bots against one server, and what it costs.

L{rpg.bench.cli} drives a run, L{rpg.bench.bot} is the bot worker (one
reactor, many bots), L{rpg.bench.server} spawns and observes the server,
L{rpg.bench.report} turns samples and metrics into numbers.

Beside it, everything else measured: L{rpg.bench.world_phase} (the world
phase alone), L{rpg.bench.engine} (the engine's micro-benchmark),
C{profile_server.sh} and L{rpg.bench.profile_top} (py-spy profiles), and
C{results/}, the runs docs/benchmarks.md quotes (not installed).
"""
