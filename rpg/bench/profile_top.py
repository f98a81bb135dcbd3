"""
Summarise py-spy collapsed stacks: the share of samples by function, self
and inclusive.

    python -m rpg.bench.profile_top profile.txt [N] [WITHIN]

With WITHIN (a function name, e.g. WorldService.tick), only the samples
taken inside that function count, and percentages are of those.
"""

import collections
import sys


def main(path, limit=40, within=None):
    own = collections.Counter()
    inclusive = collections.Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
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
