"""Near-duplicates: the same enterprise raising much the same text within two weeks.

Intake flags such an issue for the office to merge (``possible_duplicates``); it never drops it.

*Much the same text* is a similarity of at least 0.6 between the first 500 characters of
"title\\nbody" of the two issues: twice the longest common subsequence over the sum of the
lengths (rapidfuzz's normalised Indel similarity, computed in C). It replaced difflib's
``SequenceMatcher.ratio``, a Ratcliff/Obershelp approximation of the same quantity that is
never above it and costs 60 times as much; on complaint texts the two flag the same pairs
(``tests/test_duplicates.py`` checks that on a corpus of realistic wordings).

*Within two weeks* is around each issue's own time of receipt, so a letter received a month
ago and filed today is not a duplicate of today's call. Each issue is compared with at most
``DUPLICATE_CANDIDATES`` issues of its enterprise in its window, the latest received: an
enterprise raises a few issues a month, so the bound never matters in practice, and it keeps
intake linear when a file carries thousands of rows of one enterprise.
"""

from bisect import bisect_left, bisect_right, insort
from collections.abc import Hashable
from datetime import datetime, timedelta

# rapidfuzz is imported where texts are compared: every command that reads issues imports
# this module (for its constants), few of them compare.

DUPLICATE_WINDOW = timedelta(days=14)
DUPLICATE_SIMILARITY = 0.6
DUPLICATE_CANDIDATES = 50
COMPARED_CHARACTERS = 500


def compared_text(title: str, body: str) -> str:
    """The part of an issue's text that is compared."""
    return f"{title}\n{body}"[:COMPARED_CHARACTERS]


def similarity(a: str, b: str) -> float:
    """0..1, how much of the two texts is the same (see the module's notes)."""
    from rapidfuzz.distance import Indel

    return float(Indel.normalized_similarity(a, b))


class DuplicateIndex:
    """Issues by enterprise, in order of receipt, for finding an issue's near-duplicates.

    Keys are whatever identifies an issue to the caller (an id, or a position in a batch not
    yet stored). Finding costs O(log n + DUPLICATE_CANDIDATES) per issue.
    """

    def __init__(self) -> None:
        # enterprise -> [(received_at, sequence, key, text)], sorted; the sequence keeps
        # issues received at the same moment in the order they were added
        self._issues: dict[str, list[tuple[datetime, int, Hashable, str]]] = {}
        self._added = 0

    def add(self, enterprise: str, received_at: datetime, key: Hashable, text: str) -> None:
        insort(self._issues.setdefault(enterprise, []), (received_at, self._added, key, text))
        self._added += 1

    def similar(self, enterprise: str, received_at: datetime, text: str) -> list[Hashable]:
        """Keys of the issues of ``enterprise`` received within the window around
        ``received_at`` whose text is much the same as ``text``, in the order added."""
        issues = self._issues.get(enterprise)
        if not issues:
            return []
        first = bisect_left(issues, (received_at - DUPLICATE_WINDOW,))
        end = bisect_right(issues, (received_at + DUPLICATE_WINDOW, self._added))
        candidates = issues[max(first, end - DUPLICATE_CANDIDATES) : end]
        if not candidates:
            return []
        from rapidfuzz import process
        from rapidfuzz.distance import Indel

        found = process.extract(
            text,
            [candidate[3] for candidate in candidates],
            scorer=Indel.normalized_similarity,
            score_cutoff=DUPLICATE_SIMILARITY,
            limit=None,
        )
        return [candidates[i][2] for i in sorted(i for _, _, i in found)]
