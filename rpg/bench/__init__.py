"""
``rpg-bench``: a swarm of bots against one server, and what it costs.

L{rpg.bench.cli} drives a run, L{rpg.bench.bot} is the bot worker (one
reactor, many bots), L{rpg.bench.server} spawns and observes the server,
L{rpg.bench.report} turns samples and metrics into numbers.
"""
