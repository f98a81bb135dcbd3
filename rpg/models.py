"""
Plain records that cross the boundary between the world and the stores.

They hold data only; the rules live in L{rpg.world}.
"""

from dataclasses import dataclass, field
from typing import Optional

ROLES = ("player", "moderator", "admin")


@dataclass
class Account:
    player_id: int
    username: str
    password_hash: str
    role: str = "player"
    banned: bool = False
    # Bumped by a revocation or a password change: older tokens are refused.
    token_version: int = 0


@dataclass(frozen=True)
class AdminAction:
    """
    An operator's order to the server that holds a player: C{"kick"}
    (save and close with 4003, C{reason} as the close reason) or
    C{"refresh"} (re-read the account: a new role takes effect).
    """

    action_id: int
    player_id: int
    action: str
    reason: str


@dataclass
class ItemStack:
    item_id: int
    quantity: int = 1


@dataclass
class CharacterState:
    """
    What is saved of a player.

    C{skills} maps a skill name to its XP; C{inventory} maps a slot (0-27) to
    an L{ItemStack}; C{equipment} maps a slot name to an L{ItemStack}.
    """

    player_id: int
    username: str
    map_id: str
    x: int
    y: int
    facing: str = "south"
    hp: int = 10
    skills: dict = field(default_factory=dict)
    inventory: dict = field(default_factory=dict)
    equipment: dict = field(default_factory=dict)


@dataclass
class GroundItemState:
    """
    An item lying on the ground.  Times are wall-clock seconds (epoch), so
    that they survive a restart.
    """

    ground_item_id: int
    item_id: int
    quantity: int
    map_id: str
    x: int
    y: int
    owner_id: Optional[int]
    public_at: float
    despawn_at: float


@dataclass
class WorldSnapshot:
    characters: list = field(default_factory=list)
    ground_items: Optional[list] = None
    released: list = field(default_factory=list)  # (player_id, server_id) pairs
    # The maps whose ground items C{ground_items} replaces; None: every map.
    ground_item_maps: Optional[tuple] = None
    # Map id -> the writer's epoch (fencing token); empty: an unfenced write.
    epochs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PresenceEntry:
    player_id: int
    username: str
    server_id: str
    connection_id: str


@dataclass(frozen=True)
class MapLease:
    """
    A process's lease on a map: it serves C{map_id} while the lease lives.

    C{epoch} is the fencing token: it grows with every new owner of the map,
    so a write carrying an older epoch comes from an owner that has lost the
    map.  C{address} is where the owner's inter-process link listens.
    """
    map_id: str
    server_id: str
    epoch: int
    address: str = ""
