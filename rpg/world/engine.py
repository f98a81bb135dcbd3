"""
The engine of the game world: players and NPCs on maps, movement, and what
each player sees, as data plus step functions.  L{rpg.world.game.GameWorld}
builds one and drives it, once per tick: the commands (C{move}...), then
C{step(now)}, then C{compute_updates()}.

No Twisted, no I/O, no clock: time enters as C{now} (float seconds), chance
as the injected C{random.Random}.  The visibility algorithm is described in
``docs/world.md``.
"""

import random
from collections import deque

from rpg.world import movement
from rpg.world.entities import FACINGS, Entity, PlayerEntity, copy_stacks, empty_visual
from rpg.world.skills import max_hp
from rpg.world.spatial import SpatialIndex, chunk_key


_NOTHING = frozenset()


class Engine:
    """
    @param maps: map id -> L{rpg.world.maps.GameMap}.
    @param start_map: the map whose C{player_spawn} takes players whose saved
        place is unusable.
    @param view_radius: chunks seen around a player's own (Chebyshev).
    @param move_cooldown_ms: time between two successful moves of a player,
        measured on the times the server received them.
    @param move_cooldown_tolerance_ms: how much earlier than its cooldown a
        move may arrive and pass (arrival jitter); the next move stays due a
        cooldown after the time this one was due.
    @param rng: the world's only source of chance.
    @param visual_for: C{equipment -> visual_state}, where C{equipment} maps
        a slot name to an L{rpg.models.ItemStack}.
    """

    def __init__(self, maps, *, start_map, view_radius=1, move_cooldown_ms=500,
                 rng=None, visual_for=None, move_cooldown_tolerance_ms=0):
        if start_map not in maps:
            raise ValueError(f"start map {start_map!r} is not among the maps")
        self.maps = dict(maps)
        self.start_map = start_map
        self.view_radius = view_radius
        self.move_cooldown_ms = move_cooldown_ms
        self.move_cooldown_tolerance_ms = move_cooldown_tolerance_ms
        self.rng = rng if rng is not None else random.Random()
        self.visual_for = visual_for or empty_visual
        self.spatial = SpatialIndex(view_radius)
        self.entities = {}  # entity id -> Entity
        self.players = {}  # player id -> PlayerEntity
        self._changed = set()  # entities with change marks
        self._unsaved = set()  # player ids
        self._departed = {}  # entity id -> removal key, until the next diff
        self._walking = deque()  # (move time, player), in time order
        self._move_listeners = []
        self._map_listeners = []
        # Centre chunk -> (its view, the ids of its viewers) once every viewer
        # there knows that view, as long as that view stays the same object
        # (nobody entered or left it): the diff then takes them as one group
        # without looking at each.
        self._settled = {}
        # Players who changed map since the last diff: their next update
        # shows the new map from scratch (read by the ground items too).
        self.map_changed = set()

    # -- players
    def add_player(self, character, now):
        """
        Put a saved character into the world.  A character whose map is
        unknown or whose tile is off the map or blocked appears at the start
        map's spawn instead (C{placed_at_spawn} is set and the player is
        marked unsaved).

        @param character: an L{rpg.models.CharacterState} (copied, not kept).
        @return: the L{PlayerEntity}.
        @raise ValueError: the player is already in the world.
        """
        if character.player_id in self.players:
            raise ValueError(f"player {character.player_id} is already in the world")
        map_id, x, y = character.map_id, character.x, character.y
        game_map = self.maps.get(map_id)
        misplaced = game_map is None or game_map.is_blocked(x, y)
        if misplaced:
            map_id = self.start_map
            x, y = self.maps[map_id].player_spawn
        equipment = copy_stacks(character.equipment)
        skills = dict(character.skills)
        player = PlayerEntity(
            character.player_id, character.username, map_id, x, y,
            facing_direction=character.facing if character.facing in FACINGS else "south",
            current_hp=character.hp, max_hp=max_hp(skills),
            visual_state=self.visual_for(equipment), skills=skills,
            inventory=copy_stacks(character.inventory), equipment=equipment)
        player.placed_at_spawn = misplaced
        self.players[player.player_id] = player
        self._insert(player)
        if misplaced:
            self._unsaved.add(player.player_id)
        return player

    def remove_player(self, player_id):
        """
        Take a player out; observers see it in their next C{removed_entities}.

        @return: its L{rpg.models.CharacterState}.
        @raise KeyError: the player is not in the world.
        """
        player = self.players.pop(player_id)
        state = player.character_state()
        self._remove(player)
        self._unsaved.discard(player_id)
        return state

    def player(self, player_id):
        """The L{PlayerEntity}, or C{None}."""
        return self.players.get(player_id)

    def character_state(self, player_id):
        """
        A copy of the player's savable state, independent of the live player.

        @raise KeyError: the player is not in the world.
        """
        return self.players[player_id].character_state()

    def refresh_visual(self, player_id):
        """Recompute a player's C{visual_state} from its equipment."""
        player = self.players[player_id]
        self.set_field(player, "visual_state", self.visual_for(player.equipment))

    # -- persistence marks
    def dirty_player_ids(self):
        """The ids of players whose saved state changed since C{mark_saved}."""
        return set(self._unsaved)

    def mark_saved(self, player_ids):
        """Call when taking the snapshot of these players (not when it lands)."""
        self._unsaved.difference_update(player_ids)

    def mark_unsaved(self, player_ids):
        """Mark players unsaved: after changing skills, inventory or equipment
        in place, or when a snapshot failed."""
        self._unsaved.update(p for p in player_ids if p in self.players)

    # -- any entity
    def add_entity(self, entity):
        """
        Put an entity (an NPC...) into the world at its C{map_id}, C{x}, C{y}.

        @raise ValueError: an entity with that id is already in the world, or
            its map is unknown.
        """
        if entity.id in self.entities:
            raise ValueError(f"entity {entity.id} is already in the world")
        if entity.map_id not in self.maps:
            raise ValueError(f"entity {entity.id} is on unknown map {entity.map_id!r}")
        self._insert(entity)
        return entity

    def remove_entity(self, entity_id):
        """
        Take an entity out (players as by C{remove_player}).

        @return: the entity.
        @raise KeyError: no such entity.
        """
        entity = self.entities[entity_id]
        if isinstance(entity, PlayerEntity):
            self.remove_player(entity.player_id)
        else:
            self._remove(entity)
        return entity

    def _insert(self, entity):
        entity.changed = {}
        self.entities[entity.id] = entity
        if self._departed.pop(entity.id, None) is not None:
            # back in the tick it left: whoever still knows the id gets all of it
            entity.changed = dict.fromkeys(entity.FIELDS[1:], True)
            self._changed.add(entity)
        self.spatial.insert(entity, chunk_key(entity.map_id, entity.x, entity.y))

    def _remove(self, entity):
        del self.entities[entity.id]
        self.spatial.remove(entity)
        self._changed.discard(entity)
        entity.changed = {}
        self._departed[entity.id] = entity.removal_key

    def set_field(self, entity, name, value):
        """
        Set a public field; observers get it in the next diff if it changed.

        @return: whether the value changed.
        """
        if getattr(entity, name) == value:
            return False
        setattr(entity, name, value)
        entity.changed[name] = True
        if entity.chunk_key is not None:
            self._changed.add(entity)
            self.spatial.touch(entity.chunk_key)
            if name in entity.PERSISTED:
                self._unsaved.add(entity.player_id)
        return True

    def place(self, entity, map_id, x, y, now=None):
        """
        Put an entity on tile C{(x, y)} of C{map_id} (no rules checked),
        re-indexing it when its chunk changes.

        @param now: the time of the change, for the map listeners (C{None}
            when the caller has none).
        """
        self.set_field(entity, "x", x)
        self.set_field(entity, "y", y)
        old_map_id = entity.map_id
        entity.map_id = map_id
        key = chunk_key(map_id, x, y)
        if entity.chunk_key is not None and key != entity.chunk_key:
            self.spatial.relocate(entity, key)
        if (old_map_id != map_id and isinstance(entity, PlayerEntity)
                and entity.chunk_key is not None):
            self._unsaved.add(entity.player_id)
            self.map_changed.add(entity.player_id)
            for listener in self._map_listeners:
                listener(self, entity, old_map_id, now)

    def teleport(self, player_id, map_id, x, y, now=None):
        """
        Move a player anywhere (respawn...); on another map it is shown that
        map from scratch, as after a portal (L{compute_updates}).

        @param now: the time of the move, for the map listeners.
        @raise ValueError: unknown map, or a tile off the map or blocked.
        """
        game_map = self.maps.get(map_id)
        if game_map is None or game_map.is_blocked(x, y):
            raise ValueError(f"cannot teleport to {map_id!r} {x},{y}")
        self.place(self.players[player_id], map_id, x, y, now)

    def respawn_point(self, map_id):
        """
        Where a player who died on C{map_id} comes back: that map's
        C{player_spawn}, or the start map's when the map has none.

        @return: C{(map_id, x, y)}.
        """
        game_map = self.maps[map_id]
        if not game_map.has_player_spawn:
            game_map = self.maps[self.start_map]
        return (game_map.map_id, *game_map.player_spawn)

    # -- movement
    def add_move_listener(self, listener):
        """Call C{listener(engine, player, now)} after every successful move,
        with the C{now} the move was applied at."""
        self._move_listeners.append(listener)

    def add_map_listener(self, listener):
        """Call C{listener(engine, player, old_map_id, now)} whenever a player
        in the world changes map (a portal, a respawn, a teleport), once it
        stands on the new one; C{now} is the time the caller gave, or
        C{None}."""
        self._map_listeners.append(listener)

    def move(self, player_id, direction, now, received_at=None):
        """
        Move a player one tile.  A move that ends on a portal tile goes on to
        the portal's target in the same step: the reply's C{new_position} is
        the target (with its map), C{old_position} the tile left.

        The cooldown is measured on C{received_at}, when the server received
        the command (default: C{now}, the tick applying it).

        @return: the C{resp_success} payload of C{cmd_move}.
        @raise InvalidDirection, MoveRateLimited, OutOfBounds, MoveBlocked:
            nothing changed (the cooldown is not restarted).
        @raise KeyError: the player is not in the world.
        """
        player = self.players[player_id]
        dx, dy, facing = movement.resolve_direction(direction)
        received = now if received_at is None else received_at
        movement.check_cooldown(player.next_move_at, received, self.move_cooldown_tolerance_ms)
        map_id, x, y = player.map_id, player.x, player.y
        game_map = self.maps[map_id]
        new_map_id, nx, ny = map_id, x + dx, y + dy
        movement.check_target(game_map, x, y, nx, ny)
        portal = game_map.portals.get((nx, ny))
        if portal is not None:
            new_map_id, nx, ny = portal.target_map, portal.target_x, portal.target_y
        self.set_field(player, "facing_direction", facing)
        self.set_field(player, "animation_state", "walking")
        player.combat_target = None
        self.place(player, new_map_id, nx, ny, now)
        player.last_move_at = now
        player.next_move_at = movement.next_move_at(player.next_move_at, received,
                                                    self.move_cooldown_ms)
        self._walking.append((now, player))
        for listener in self._move_listeners:
            listener(self, player, now)
        return {
            "new_position": {"x": nx, "y": ny, "map_id": new_map_id,
                             "player_id": player_id, "timestamp": now},
            "old_position": movement.position(map_id, x, y),
            "collision": False,
        }

    def step(self, now):
        """
        Apply what time alone changes: walkers idle after a cooldown without
        moving.

        @return: a list of C{(player_ids, message_type, payload)} events
            (none yet; NPC and combat events come here).
        """
        walking = self._walking
        due = now - self.move_cooldown_ms / 1000.0 + 1e-6
        while walking and walking[0][0] <= due:
            moved_at, player = walking.popleft()
            if (player.last_move_at == moved_at and player.chunk_key is not None
                    and player.animation_state == "walking"):
                self.set_field(player, "animation_state", "idle")
        return []

    # -- visibility
    def initial_view(self, player_id):
        """
        Everything the player sees now, as an C{event_game_update} payload
        (the player itself first), recorded as what its client knows.
        """
        player = self.players[player_id]
        visible = self.spatial.visible(player.chunk_key)
        player.known = visible
        player.view_key = player.chunk_key
        self._settled.pop(player.chunk_key, None)  # one more viewer knows this view
        self.map_changed.discard(player_id)
        entities = self.entities
        shown = [player.full()]
        shown.extend(entities[i].full() for i in visible if i != player.id)
        return {"entities": shown, "removed_entities": [], "map_id": player.map_id}

    def walk_state(self, player_id, now):
        """
        What of a player's walk goes with it to another process: whether it
        is walking, and the seconds until its next move is due.
        """
        player = self.players[player_id]
        due = player.next_move_at
        return {"walking": player.animation_state == "walking",
                "next_move_in_s": 0.0 if due is None else max(0.0, due - now)}

    def arrived(self, player_id, now, walk=None):
        """
        A player put in the world after changing map on another process: its
        client knows nothing of this map, so its next update is the whole
        view, as after a map change here (L{compute_updates}); its walk
        (L{walk_state}) goes on as if it had crossed here.
        """
        player = self.players[player_id]
        player.known = _NOTHING
        self.map_changed.add(player_id)
        if walk:
            if walk.get("next_move_in_s"):
                player.next_move_at = now + float(walk["next_move_in_s"])
            if walk.get("walking"):
                self.set_field(player, "animation_state", "walking")
                player.last_move_at = now
                self._walking.append((now, player))

    def compute_updates(self):
        """
        The diffs since the last call, then clear every change mark.

        Only players near a dirty chunk are looked at; players whose diff is
        necessarily identical (same chunk, same known set) share one payload.
        A player that changed map since the last call gets its own payload:
        itself and everything it sees on the new map in full, and nothing of
        the old map (its client drops what it knew when the map changes).

        Each dirty chunk's changes (the deltas of its changed entities) are
        listed once per call and shared by every centre that sees the chunk;
        a group whose view did not change (the common case) takes them all
        without looking at each one.

        @return: a list of C{(player_ids, payload)}; each player whose view
            changed is in exactly one entry.  Payloads share dicts: read only.
        """
        spatial = self.spatial
        dirty = spatial.dirty
        if not dirty:
            return []
        entities = self.entities
        map_changed = self.map_changed
        all_viewers = spatial.viewers
        neighbourhood = spatial.neighbourhood
        visible_from = spatial.visible
        chunk_changes = self._chunk_changes(dirty)
        updates = []
        fulls = {}
        settled = self._settled
        for centre in spatial.affected_centres():
            visible = None
            known_here = settled.get(centre)
            if known_here is not None:
                visible = visible_from(centre)
                if known_here[0] is not visible:
                    known_here = None
            if known_here is not None:
                # Nobody entered or left this view since its viewers were
                # told it: they still form one group that knows all of it.
                changes = []
                for key in neighbourhood(centre):
                    found = chunk_changes.get(key)
                    if found is not None:
                        changes.extend(found)
                if changes:
                    updates.append((known_here[1], {
                        "entities": [delta for _, delta in changes],
                        "removed_entities": [], "map_id": centre[0]}))
                continue
            viewer_ids = all_viewers.get(centre)
            if not viewer_ids:
                settled.pop(centre, None)
                continue
            groups = {}
            for viewer_id in viewer_ids:
                player = entities[viewer_id]
                known = player.known
                if known is None:
                    continue  # no initial view yet
                # a map change is alone: it starts from nothing
                key = viewer_id if map_changed and player.player_id in map_changed else id(known)
                group = groups.get(key)
                if group is None:
                    groups[key] = [player]
                else:
                    group.append(player)
            if not groups:
                continue
            if visible is None:
                visible = visible_from(centre)
            # the changes in view, in the order of the view's chunks
            changes = []
            for key in neighbourhood(centre):
                found = chunk_changes.get(key)
                if found is not None:
                    changes.extend(found)
            map_id = centre[0]
            for group in groups.values():
                first = group[0]
                known = first.known
                if map_changed and first.player_id in map_changed:
                    known = _NOTHING
                for player in group:
                    player.known = visible
                    player.view_key = centre
                if known is visible:
                    # every changed entity in view is known: all are shown
                    if not changes:
                        continue
                    payload = {"entities": [delta for _, delta in changes],
                               "removed_entities": [], "map_id": map_id}
                else:
                    payload = self._diff(known, visible, changes, map_id, fulls)
                    if payload is None:
                        continue
                updates.append((tuple([p.player_id for p in group]), payload))
            # every viewer here now knows this view
            settled[centre] = (visible, tuple([entities[i].player_id for i in viewer_ids
                                               if entities[i].known is not None]))
        for entity in self._changed:
            entity.changed = {}
        self._changed = set()
        self._departed = {}
        self.map_changed = set()
        spatial.dirty = set()
        spatial.entered = set()
        return updates

    def _chunk_changes(self, dirty):
        """
        Dirty chunk key -> C{[(entity id, delta)]} of its entities with change
        marks, for the chunks that have some (in the chunk's member order).
        """
        entities = self.entities
        members = self.spatial.members
        by_chunk = {}
        for key in dirty:
            found = []
            for entity_id in members.get(key, ()):
                entity = entities[entity_id]
                if entity.changed:
                    found.append((entity_id, entity.delta()))
            if found:
                by_chunk[key] = found
        return by_chunk

    def _diff(self, known, visible, changes, map_id, fulls):
        """The payload of a group whose known set is not its view (or C{None})."""
        entered = visible - known
        left = known - visible
        shown = [delta for entity_id, delta in changes if entity_id in known]
        if not (entered or left or shown):
            return None
        entities = self.entities
        for entity_id in entered:
            full = fulls.get(entity_id)
            if full is None:
                full = fulls[entity_id] = entities[entity_id].full()
            shown.append(full)
        return {"entities": shown,
                "removed_entities": [self._removal_key(i) for i in left],
                "map_id": map_id}

    def _removal_key(self, entity_id):
        entity = self.entities.get(entity_id)
        if entity is not None:
            return entity.removal_key
        return self._departed.get(entity_id, entity_id)

    # -- who is near
    def observers_of_tile(self, map_id, x, y):
        """The ids of the players whose view covers tile C{(x, y)}."""
        return self._players_within(chunk_key(map_id, x, y), self.view_radius)

    def players_near(self, player_id, radius_chunks):
        """The ids of players on the same map within C{radius_chunks} chunks
        of the player's chunk, the player included."""
        return self._players_within(self.players[player_id].chunk_key, radius_chunks)

    def _players_within(self, key, radius):
        entities = self.entities
        return [entities[i].player_id for i in self.spatial.viewers_within(key, radius)]


__all__ = ["Engine", "Entity", "PlayerEntity"]
