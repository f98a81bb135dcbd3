"""
What a fighting bot knows and decides, without I/O or a clock.

A L{Hunter} reads the bot's C{event_game_update} payloads to keep the NPCs
in view and its own position, and answers, each time the bot may act, with
one of: walk at random (C{None}), step toward its target (C{("move",
direction)}), attack it (C{("attack", npc id)}) or wait (C{("wait",
None)}).  Time comes in as seconds (any origin), chance as a
C{random.Random}.

The life of a fighter: walk; when an attackable NPC is within C{sight}
(Chebyshev tiles), pick the nearest and walk to a tile next to it (hunt);
attack it; stand still while it lives (moving would end the fight); go
back to walking when it leaves the view (counted as a kill), when the hunt
or the fight takes too long, or when the attack is refused.  After each
fight the bot walks a few seconds before it looks for the next NPC.  A bot
that dies (its own C{animation_state} becomes C{dead}) drops its target.
"""

ATTACKABLE = frozenset({"goblin", "giant_rat"})
# cmd_attack errors after which the target is worth another try soon:
# the bot's idea of where it or the NPC stands was a step behind.
RETRY_CODES = frozenset({"COMBAT_OUT_OF_RANGE"})
# How long an NPC given up on is not chosen again.
IGNORE_S = 20.0


def chebyshev(ax, ay, bx, by):
    return max(abs(ax - bx), abs(ay - by))


def step_toward(x, y, tx, ty):
    """The direction of one step from C{(x, y)} toward C{(tx, ty)}: the
    axis with the larger distance first, x on a tie."""
    dx, dy = tx - x, ty - y
    if abs(dx) >= abs(dy) and dx != 0:
        return "RIGHT" if dx > 0 else "LEFT"
    if dy != 0:
        return "DOWN" if dy > 0 else "UP"
    return None


class Hunter:
    """
    One fighting bot's view and plan.

    @ivar state: C{walk}, C{hunt}, C{attacking} (C{cmd_attack} sent, no
        reply yet), C{fight} or C{dead}.
    @ivar npcs: npc id -> C{[x, y, npc_type]} of the NPCs in view.
    @ivar kills, deaths: counted as they are observed.
    """

    def __init__(self, entity_id, x, y, rng, now, sight=12, hunt_timeout=15.0,
                 fight_timeout=60.0, rest=(2.0, 6.0)):
        self.entity_id = entity_id
        self.x, self.y = x, y
        self.rng = rng
        self.sight = sight
        self.hunt_timeout = hunt_timeout
        self.fight_timeout = fight_timeout
        self.rest = rest
        self.npcs = {}
        self.state = "walk"
        self.target = None
        self.since = now
        self.rest_until = now
        self.ignored = {}  # npc id -> until
        self.kills = 0
        self.deaths = 0

    # -- what the bot sees
    def update(self, payload, now):
        """
        Apply one C{event_game_update} payload.

        @return: the number of kills it showed (0 or 1).
        """
        kills = 0
        for entity in payload.get("entities", ()):
            entity_id = entity.get("id")
            if entity_id == self.entity_id:
                self._update_self(entity, now)
            elif entity.get("type") == "npc":
                self.npcs[entity_id] = [entity.get("x"), entity.get("y"), entity.get("npc_type")]
            else:
                known = self.npcs.get(entity_id)
                if known is not None:
                    if "x" in entity:
                        known[0] = entity["x"]
                    if "y" in entity:
                        known[1] = entity["y"]
        for entity_id in payload.get("removed_entities", ()):
            if self.npcs.pop(entity_id, None) is None:
                continue
            if entity_id == self.target:
                if self.state == "fight":
                    kills += 1
                    self.kills += 1
                self._give_up(now, ignore=False)
        return kills

    def _update_self(self, entity, now):
        if "x" in entity:
            self.x = entity["x"]
        if "y" in entity:
            self.y = entity["y"]
        state = entity.get("animation_state")
        if state == "dead" and self.state != "dead":
            self.deaths += 1
            self.state = "dead"
            self.target = None
            self.since = now
        elif state is not None and state != "dead" and self.state == "dead":
            self.state = "walk"
            self.rest_until = now

    def moved(self, x, y):
        """A C{cmd_move} succeeded: the bot stands at C{(x, y)}."""
        self.x, self.y = x, y

    def attack_answered(self, error_code, now):
        """The reply to C{cmd_attack}: C{None} on success, else its code."""
        if self.state != "attacking":
            return
        if error_code is None:
            self.state = "fight"
            self.since = now
        elif error_code in RETRY_CODES:
            self.state = "hunt"
        else:
            self._give_up(now, ignore=True)

    # -- what the bot does
    def next_action(self, now):
        """
        What to do now.

        @return: C{None} (walk at random), C{("move", direction)},
            C{("attack", npc id)} or C{("wait", None)}.
        """
        if self.state == "dead" or self.state == "attacking":
            return ("wait", None)
        if self.state == "walk":
            if now < self.rest_until or not self._choose(now):
                return None
        target = self.npcs.get(self.target)
        if target is None:
            self._give_up(now, ignore=False)
            return None
        tx, ty = target[0], target[1]
        if self.state == "fight":
            if now - self.since > self.fight_timeout:
                self._give_up(now, ignore=True)
                return None
            if chebyshev(self.x, self.y, tx, ty) <= 1:
                return ("wait", None)
            self.state = "hunt"  # it moved off; follow, then attack again
            self.since = now
        if now - self.since > self.hunt_timeout:
            self._give_up(now, ignore=True)
            return None
        if chebyshev(self.x, self.y, tx, ty) <= 1:
            self.state = "attacking"
            return ("attack", self.target)
        return ("move", step_toward(self.x, self.y, tx, ty))

    def _choose(self, now):
        """Pick the nearest attackable NPC in sight; C{True} if one was."""
        best = None
        for npc_id, (x, y, npc_type) in self.npcs.items():
            if npc_type not in ATTACKABLE or self.ignored.get(npc_id, now) > now:
                continue
            distance = chebyshev(self.x, self.y, x, y)
            if distance <= self.sight and (best is None or distance < best[0]):
                best = (distance, npc_id)
        if best is None:
            return False
        self.target = best[1]
        self.state = "hunt"
        self.since = now
        return True

    def _give_up(self, now, ignore):
        if ignore and self.target is not None:
            self.ignored[self.target] = now + IGNORE_S
        self.target = None
        if self.state != "dead":
            self.state = "walk"
        self.rest_until = now + self.rng.uniform(*self.rest)
