"""
Hit points coming back out of combat: one every C{interval_s}, the timer
restarted by every blow given or taken.
"""

from rpg.world.schedule import Schedule


class Recovery:
    """
    @param engine: the L{rpg.world.engine.Engine}.
    @param fighters: the L{rpg.world.fighters.Fighters} (who is dead).
    @param interval_s: seconds per hit point.
    """

    def __init__(self, engine, fighters, interval_s):
        self.engine = engine
        self.fighters = fighters
        self.interval_s = interval_s
        self._due = Schedule(ties="key")  # player id

    def restart(self, player_id, now):
        """The next point comes C{interval_s} from C{now} (not while dead)."""
        if self.fighters.record(player_id).dead:
            return
        self._due.set(player_id, now + self.interval_s)

    def cancel(self, player_id):
        """No point comes (the player died or left)."""
        self._due.cancel(player_id)

    def due_at(self, player_id):
        """When the next point comes, or C{None}."""
        return self._due.when(player_id)

    def step(self, now):
        """Out of combat, one HP per interval; a player at full HP stops the timer."""
        for player_id in self._due.pop_due(now):
            player = self.engine.players.get(player_id)
            if player is None or self.fighters.is_dead(player_id):
                continue
            if player.current_hp >= player.max_hp:
                continue
            if player.combat_target is None:
                self.engine.set_field(player, "current_hp", player.current_hp + 1)
            if player.current_hp < player.max_hp:
                self.restart(player_id, now)
