"""A confusion-weighted edit distance for ranking fuzzy matches."""

from __future__ import annotations

from plateledger.plates.confusion import same_class

CONFUSABLE_COST = 0.25
"""Substituting a character by a confusable one (O for 0) costs a quarter of an edit."""


def plate_distance(a: str, b: str) -> float:
    """Levenshtein distance between plates where confusable substitutions are cheap.

    Adjacent transpositions count one edit (optimal string alignment).
    """
    if a == b:
        return 0.0
    rows, cols = len(a) + 1, len(b) + 1
    d = [[0.0] * cols for _ in range(rows)]
    for i in range(rows):
        d[i][0] = float(i)
    for j in range(cols):
        d[0][j] = float(j)
    for i in range(1, rows):
        for j in range(1, cols):
            ca, cb = a[i - 1], b[j - 1]
            if ca == cb:
                sub = 0.0
            elif same_class(ca, cb):
                sub = CONFUSABLE_COST
            else:
                sub = 1.0
            best = min(d[i - 1][j] + 1.0, d[i][j - 1] + 1.0, d[i - 1][j - 1] + sub)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, d[i - 2][j - 2] + 1.0)
            d[i][j] = best
    return d[-1][-1]
