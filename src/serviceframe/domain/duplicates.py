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

An import keeps one index for all its chunks, as a window onto the store: each enterprise is
read once for a stretch of time, and again only when a chunk's drafts reach outside it (the
file moved on, or goes back in time); what the import has moved past is forgotten.
"""

from bisect import bisect_left, bisect_right, insort
from collections.abc import Hashable, Iterable, Sequence
from datetime import datetime, timedelta

# rapidfuzz is imported where texts are compared: every command that reads issues imports
# this module (for its constants), few of them compare.

DUPLICATE_WINDOW = timedelta(days=14)
DUPLICATE_SIMILARITY = 0.6
DUPLICATE_CANDIDATES = 50
COMPARED_CHARACTERS = 500
# The finest time both databases keep: "received after t" is "received from t + TICK".
TICK = timedelta(microseconds=1)


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

    For an enterprise read from the store (``load``), the index also knows the stretch of
    time [since, until] of which it holds every issue, those stored and those added since:
    ``covers`` tells whether that is enough for new drafts, so that the store is asked only
    for what is not held. ``prune`` keeps it small however long the import.
    """

    def __init__(self) -> None:
        # enterprise -> [(received_at, sequence, key, text)], sorted; the sequence keeps
        # issues received at the same moment in the order they were added
        self._issues: dict[str, list[tuple[datetime, int, Hashable, str]]] = {}
        self._held: dict[str, tuple[datetime, datetime]] = {}  # enterprise -> since, until
        self._unsettled: list[tuple[str, datetime, int]] = []  # added since the last settle
        self._added = 0

    def add(self, enterprise: str, received_at: datetime, key: Hashable, text: str) -> None:
        insort(self._issues.setdefault(enterprise, []), (received_at, self._added, key, text))
        self._unsettled.append((enterprise, received_at, self._added))
        self._added += 1

    def settle(self, keys: Sequence[Hashable]) -> None:
        """Give the issues added since the last ``settle``, in the order added, these keys
        (the ids the store gave a chunk's drafts), so that later chunks find them by id."""
        for (enterprise, received_at, number), key in zip(self._unsettled, keys, strict=True):
            issues = self._issues[enterprise]
            i = bisect_left(issues, (received_at, number))
            issues[i] = (received_at, number, key, issues[i][3])
        self._unsettled = []

    def load(
        self,
        enterprise: str,
        since: datetime,
        until: datetime,
        issues: Iterable[tuple[datetime, int, str]],
    ) -> None:
        """Hold, in place of what was held of ``enterprise``, what the store has of it in
        [since, until]: its latest DUPLICATE_CANDIDATES issues there, (received_at, id,
        text). When the store had that many, it may have more before the oldest of them
        (or at the same moment: a tie at the bound is not worth reading again)."""
        held: list[tuple[datetime, int, Hashable, str]] = [
            (at, self._added + n, key, text) for n, (at, key, text) in enumerate(sorted(issues))
        ]
        self._added += len(held)
        if len(held) >= DUPLICATE_CANDIDATES:
            since = max(since, held[0][0])
        self._issues[enterprise] = held
        self._held[enterprise] = (since, until)

    def covers(self, enterprise: str, first: datetime, last: datetime) -> bool:
        """Whether the candidates of any issue of ``enterprise`` received between ``first``
        and ``last`` are all held: every issue in its window, or at least its latest
        DUPLICATE_CANDIDATES (the window of ``first``, the earliest, holds the fewest)."""
        if enterprise not in self._held:
            return False
        since, until = self._held[enterprise]
        if until < last + DUPLICATE_WINDOW:
            return False
        if since <= first - DUPLICATE_WINDOW:
            return True
        issues = self._issues[enterprise]
        end = bisect_right(issues, (first + DUPLICATE_WINDOW, self._added))
        return end - bisect_left(issues, (since,)) >= DUPLICATE_CANDIDATES

    def prune(self, before: datetime) -> None:
        """Forget the issues received before ``before`` (the import has moved past them)
        and all but the latest DUPLICATE_CANDIDATES of each enterprise: a draft that reaches
        further back finds them in the store again."""
        for enterprise, (since, until) in list(self._held.items()):
            if until < before:
                del self._held[enterprise], self._issues[enterprise]
                continue
            issues = self._issues[enterprise]
            cut = max(bisect_left(issues, (before,)), len(issues) - DUPLICATE_CANDIDATES)
            since = max(since, before)
            if cut > 0:
                since = max(since, issues[cut - 1][0] + TICK)
                del issues[:cut]
            self._held[enterprise] = (since, until)

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
