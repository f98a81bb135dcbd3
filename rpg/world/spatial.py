"""
The spatial index: which entities stand in which chunk, which chunks changed
this tick, and what can be seen from each chunk.

A chunk key is C{(map_id, chunk_x, chunk_y)}.  A view is every chunk within
C{view_radius} (Chebyshev) of a centre chunk on the same map.  Because that
neighbourhood is symmetric, the centres whose view contains chunk C{k} are
exactly the chunks of C{neighbourhood(k)}: this is how a change is carried to
its observers without looking at anyone else.
"""

from rpg.world.maps import CHUNK_SIZE


def chunk_key(map_id, x, y):
    """The key of the chunk holding tile C{(x, y)} of C{map_id}."""
    return (map_id, x // CHUNK_SIZE, y // CHUNK_SIZE)


def _square(key, radius):
    map_id, cx, cy = key
    span = range(-radius, radius + 1)
    return tuple((map_id, cx + dx, cy + dy) for dy in span for dx in span)


class SpatialIndex:
    """
    Entities by chunk, plus the per-tick marks the visibility diff needs.

    @ivar members: chunk key -> set of entity ids in it.
    @ivar viewers: chunk key -> set of ids of the viewing entities (players) in it.
    @ivar dirty: chunk keys where, since the last diff, an entity entered,
        left, or changed a public field.
    @ivar entered: the dirty chunk keys where an entity entered (the only
        chunks where a player can stand in another chunk than at the last
        diff); cleared with C{dirty}.
    """

    def __init__(self, view_radius=1):
        if not isinstance(view_radius, int) or view_radius < 0:
            raise ValueError(f"view_radius must be a non-negative integer, not {view_radius!r}")
        self.view_radius = view_radius
        self.members = {}
        self.viewers = {}
        self.dirty = set()
        self.entered = set()
        self._neighbourhoods = {}
        # centre key -> frozenset of the ids visible from it; dropped whenever
        # an entity enters or leaves one of its chunks, so an unchanged view
        # keeps its identity from tick to tick.
        self._visible = {}

    def neighbourhood(self, key):
        """The chunk keys within C{view_radius} of C{key}, C{key} included."""
        keys = self._neighbourhoods.get(key)
        if keys is None:
            keys = self._neighbourhoods[key] = _square(key, self.view_radius)
        return keys

    def insert(self, entity, key):
        """Add C{entity} to chunk C{key}."""
        entity.chunk_key = key
        self.members.setdefault(key, set()).add(entity.id)
        if entity.is_viewer:
            self.viewers.setdefault(key, set()).add(entity.id)
        self.entered.add(key)
        self._membership_changed(key)

    def remove(self, entity):
        """Take C{entity} out of its chunk."""
        key = entity.chunk_key
        _discard(self.members, key, entity.id)
        if entity.is_viewer:
            _discard(self.viewers, key, entity.id)
        entity.chunk_key = None
        self._membership_changed(key)

    def relocate(self, entity, key):
        """Move C{entity} from its chunk to chunk C{key}."""
        self.remove(entity)
        self.insert(entity, key)

    def touch(self, key):
        """Note that an entity in chunk C{key} changed a public field."""
        self.dirty.add(key)

    def _membership_changed(self, key):
        self.dirty.add(key)
        visible = self._visible
        for centre in self.neighbourhood(key):
            visible.pop(centre, None)

    def visible(self, centre):
        """
        The frozenset of entity ids seen from chunk C{centre}.  The same
        object is returned until an entity enters or leaves that view.
        """
        seen = self._visible.get(centre)
        if seen is None:
            ids = set()
            members = self.members
            for key in self.neighbourhood(centre):
                chunk = members.get(key)
                if chunk:
                    ids |= chunk
            seen = self._visible[centre] = frozenset(ids)
        return seen

    def affected_centres(self):
        """The chunks from which some dirty chunk is in view."""
        centres = set()
        for key in self.dirty:
            centres.update(self.neighbourhood(key))
        return centres

    def viewers_within(self, key, radius):
        """The ids of viewing entities in chunks within C{radius} of C{key}."""
        found = []
        viewers = self.viewers
        keys = self.neighbourhood(key) if radius == self.view_radius else _square(key, radius)
        for near in keys:
            ids = viewers.get(near)
            if ids:
                found.extend(ids)
        return found


def _discard(index, key, entity_id):
    ids = index.get(key)
    if ids is not None:
        ids.discard(entity_id)
        if not ids:
            del index[key]
