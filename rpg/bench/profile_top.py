"""
Summarise py-spy collapsed stacks: the share of samples by function, self
and inclusive.

    python -m rpg.bench.profile_top profile.txt [N] [WITHIN]

With WITHIN (a function name, e.g. WorldService.tick), only the samples
taken inside that function count, and percentages are of those.

Without WITHIN it first splits a server's samples by where its time goes:
the tick (its own work, and the C{send()} calls of its end-of-tick write),
C{send()} calls between ticks, reading what clients send, waiting in
C{epoll}, and threads (the database pool).
"""

import collections
import sys


# (share, what a stack is counted as when one of its frames starts with it),
# first match wins: the order matters.
SPLIT = (("send() in the tick", ("send_now", "WorldService.tick")),
         ("send() between ticks", ("send_now",)),
         ("the tick, besides send()", ("WorldService.tick",)),
         ("reading", ("Connection.doRead",)),
         ("waiting in epoll", ("EPollReactor.doPoll",)),
         ("threads", ("_bootstrap",)))


def stacks(path):
    """C{(stack, samples)} for each line of a collapsed-stacks file."""
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if stack:
                yield stack, int(count)


def split(path):
    """C{[(share name, fraction of samples)]}, as L{SPLIT} cuts them, plus C{other}."""
    shares = collections.Counter()
    total = 0
    for stack, n in stacks(path):
        total += n
        names = stack.split(";")
        for share, needs in SPLIT:
            if all(any(name.startswith(need) for name in names) for need in needs):
                shares[share] += n
                break
        else:
            shares["other"] += n
    return [(share, n / total) for share, n in shares.most_common()] if total else []


def main(path, limit=40, within=None):
    if within is None:
        for share, fraction in split(path):
            print(f"{100 * fraction:6.1f} %  {share}")
        print()
    own = collections.Counter()
    inclusive = collections.Counter()
    total = 0
    for stack, n in stacks(path):
        total += n
        if within is not None:
            names = [frame.split(" (")[0] for frame in stack.split(";")]
            if within not in names:
                continue
            stack = ";".join(stack.split(";")[names.index(within):])
        frames = [frame.split(" (")[0] + " (" + frame.split(" (")[1].split(":")[0].rsplit(
            "/", 1)[-1] + ")" if " (" in frame else frame for frame in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"{total} samples")
    print("\nself time")
    for frame, n in own.most_common(limit):
        print(f"{100 * n / total:6.1f} %  {frame}")
    print("\ninclusive time")
    for frame, n in inclusive.most_common(limit):
        print(f"{100 * n / total:6.1f} %  {frame}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40,
         sys.argv[3] if len(sys.argv) > 3 else None)
