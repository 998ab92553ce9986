"""Strategy lineage and the merge policy's guard rails (which frontier pairs are worth merging)."""
from __future__ import annotations

import random


def ancestors(sid: int, parents: dict[int, list[int]], depth: int | None = None) -> set[int]:
    """All ancestors of ``sid`` (within ``depth`` generations if given), not including itself."""
    out: set[int] = set()
    frontier, d = [sid], 0
    while frontier and (depth is None or d < depth):
        nxt = []
        for s in frontier:
            for p in parents.get(s, []):
                if p not in out:
                    out.add(p)
                    nxt.append(p)
        frontier, d = nxt, d + 1
    return out


class MergePolicy:
    """Pick two frontier strategies from different lineages: neither descends from the other, they
    share no ancestor within ``recent`` generations, and the pair was never merged before."""

    def __init__(self, every: int = 3, max_merges: int = 5, recent: int = 2):
        self.every, self.max_merges, self.recent = every, max_merges, recent

    def due(self, iteration: int, merges_done: int) -> bool:
        return self.every > 0 and iteration % self.every == 0 and merges_done < self.max_merges

    def pick(self, members: set[int], parents: dict[int, list[int]], merged: set[tuple[int, int]],
             rng: random.Random) -> tuple[int, int] | None:
        ids = sorted(members)
        lineage = {s: ancestors(s, parents) for s in ids}
        recent = {s: ancestors(s, parents, self.recent) for s in ids}
        pairs = []
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if (a, b) in merged:
                    continue
                if a in lineage[b] or b in lineage[a]:
                    continue
                if recent[a] & recent[b]:
                    continue
                pairs.append((a, b))
        return rng.choice(pairs) if pairs else None
