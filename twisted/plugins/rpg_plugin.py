from twisted.application.service import ServiceMaker

rpg = ServiceMaker("rpg", "rpg.tap", "A game server for tile-based online RPGs (protocol 2.0).", "rpg")
