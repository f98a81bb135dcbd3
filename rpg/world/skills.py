"""
Skills and the canonical RuneScape experience table.
"""

import bisect
import math

SKILLS = ("attack", "strength", "defense", "hitpoints", "ranged",
          "magic", "prayer", "woodcutting", "mining")
SKILL_IDS = {name: index + 1 for index, name in enumerate(SKILLS)}
MAX_LEVEL = 99


def _build_table():
    # XP for level L is floor(sum_{n=1}^{L-1} floor(n + 300 * 2^(n/7)) / 4).
    table = [0, 0]  # table[level] = total XP needed; levels start at 1
    points = 0
    for level in range(1, MAX_LEVEL):
        points += math.floor(level + 300 * 2 ** (level / 7))
        table.append(points // 4)
    return tuple(table)


XP_TABLE = _build_table()


def xp_for_level(level):
    """The total XP at which C{level} is reached (1 <= level <= 99)."""
    return XP_TABLE[level]


def level_for_xp(xp):
    """The level that C{xp} total experience gives."""
    return max(1, bisect.bisect_right(XP_TABLE, xp) - 1)


def level_of(skills, name):
    """The level of skill C{name} in a name -> XP mapping."""
    return level_for_xp(int(skills.get(name, 0)))


def levels(skills):
    """Every skill's level, from a name -> XP mapping."""
    return {name: level_of(skills, name) for name in SKILLS}


def new_skills():
    """A new player's XP: level 1 everywhere but hitpoints 10."""
    skills = {name: 0 for name in SKILLS}
    skills["hitpoints"] = xp_for_level(10)
    return skills


def skills_payload(skills):
    """The C{event_skills} payload for a name -> XP mapping."""
    rows = []
    for name in SKILLS:
        xp = int(skills.get(name, 0))
        level = level_for_xp(xp)
        target = xp_for_level(level + 1) if level < MAX_LEVEL else xp_for_level(MAX_LEVEL)
        rows.append({"skill_id": SKILL_IDS[name], "name": name,
                     "current_level": level, "current_xp": xp, "target_xp": target})
    return {"skills": rows}


def max_hp(skills):
    return level_of(skills, "hitpoints")
