"""The matcher: exact, confusable and one-edit matches, ranking, expiry, live rebuilds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from plateledger.hotlist import HotlistIndex, HotlistStore
from plateledger.hotlist.store import ActiveEntry
from plateledger.plates import confusion_key
from tests.factories import make_read
from tests.hotlist.conftest import OAKLAND, SAN_JOSE


def entry(entry_id: int, plate: str, region: str = "", expires_at: int | None = None,
          priority: int = 0, owner: int = OAKLAND) -> ActiveEntry:  # fmt: skip
    return ActiveEntry(entry_id, 1, owner, "stolen_vehicle", plate, region, expires_at, priority)


def kinds(index: HotlistIndex, plate: str, region: str = "") -> list[tuple[int, str]]:
    read = make_read(plate, region=region)
    return [(h.entry_id, h.kind.value) for h in index.match_reads([read])]


def levenshtein(a: str, b: str) -> int:
    """Reference edit distance (substitution, insertion, deletion)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def test_exact_match_ranks_before_confusable_and_one_edit() -> None:
    index = HotlistIndex([entry(1, "7ABC123"), entry(2, "7A8C123"), entry(3, "7ABC124")])
    assert kinds(index, "7ABC123") == [(1, "exact"), (2, "confusable"), (3, "one_edit")]


def test_ocr_confusions_match_as_confusable() -> None:
    index = HotlistIndex([entry(1, "8OB5126")])
    assert kinds(index, "BO8S1Z6") == [(1, "confusable")]


def test_one_edit_covers_substitution_insertion_and_deletion() -> None:
    index = HotlistIndex([entry(1, "7ABC123")])
    assert kinds(index, "7ABX123") == [(1, "one_edit")]
    assert kinds(index, "7ABC1234") == [(1, "one_edit")]
    assert kinds(index, "7AB123") == [(1, "one_edit")]
    assert kinds(index, "7AXX123") == []


def test_short_plates_match_only_exactly_or_by_confusion() -> None:
    index = HotlistIndex([entry(1, "AB12")])
    assert kinds(index, "A812") == [(1, "confusable")]
    assert kinds(index, "AB13") == []


def test_one_edit_needs_the_longer_key_to_have_five_characters() -> None:
    """docs/hotlists.md: a four-character read one deletion of a five-character listed
    plate matches (the camera missed a character), as a five-character read matches a
    four-character listed plate; two four-character keys one apart do not."""
    assert kinds(HotlistIndex([entry(1, "AB123")]), "AB13") == [(1, "one_edit")]
    assert kinds(HotlistIndex([entry(1, "00000")]), "0000") == [(1, "one_edit")]
    assert kinds(HotlistIndex([entry(1, "AB13")]), "AB123") == [(1, "one_edit")]
    assert kinds(HotlistIndex([entry(1, "AB13")]), "AB14") == []
    assert kinds(HotlistIndex([entry(1, "AB123")]), "AB1") == []


def test_region_mismatch_is_noted_not_filtered() -> None:
    index = HotlistIndex([entry(1, "7ABC123", region="NV")])
    hit = index.match_reads([make_read("7ABC123", region="CA")])[0]
    assert hit.region_mismatch
    assert not index.match_reads([make_read("7ABC123")])[0].region_mismatch


def test_higher_priority_ranks_first_within_a_kind() -> None:
    index = HotlistIndex([entry(1, "7ABC123", priority=1), entry(2, "7ABC123", priority=9)])
    assert [e for e, _ in kinds(index, "7ABC123")] == [2, 1]


def test_expired_entries_never_match() -> None:
    now = datetime.now(UTC)
    past = int((now - timedelta(minutes=1)).timestamp() * 1000)
    index = HotlistIndex([entry(1, "7ABC123", expires_at=past), entry(2, "7ABC123")])
    assert kinds(index, "7ABC123") == [(2, "exact")]


def test_hits_come_grouped_by_read_in_input_order() -> None:
    index = HotlistIndex([entry(1, "7ABC123"), entry(2, "5XYZ999")])
    reads = [make_read(p) for p in ("5XYZ999", "NOHIT00", "7ABC123")]
    assert [h.read.plate for h in index.match_reads(reads)] == ["5XYZ999", "7ABC123"]


plate_text = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(listed=st.lists(plate_text, min_size=1, max_size=30), read=plate_text)
def test_matches_agree_with_a_brute_force_reference(listed: list[str], read: str) -> None:
    index = HotlistIndex([entry(i, p) for i, p in enumerate(listed)])
    found = {e: k for e, k in kinds(index, read)}
    expected: dict[int, str] = {}
    key = confusion_key(read)
    for i, plate in enumerate(listed):
        if plate == read:
            expected[i] = "exact"
        elif confusion_key(plate) == key:
            expected[i] = "confusable"
        elif min(len(key), len(plate)) >= 4 and max(len(key), len(plate)) >= 5 and (
            levenshtein(key, confusion_key(plate)) == 1
        ):
            expected[i] = "one_edit"
    assert found == expected


def test_index_follows_the_store(hotlists: HotlistStore, index: HotlistIndex) -> None:
    assert index.match_reads([make_read("7ABC123")]) == []
    report = hotlists.import_list(OAKLAND, "stolen", "local", "stolen_vehicle",
                                  [{"plate": "7ABC123"}])  # fmt: skip
    assert [h.list_id for h in index.match_reads([make_read("7ABC123")])] == [report.list_id]
    hotlists.delete_list(report.list_id)
    assert index.match_reads([make_read("7ABC123")]) == []


def test_matching_goes_on_while_the_index_is_rebuilt() -> None:
    old = [entry(i, f"OLD{i:04d}") for i in range(2000)]
    new = [entry(i, f"NEW{i:04d}", owner=SAN_JOSE) for i in range(2000)]
    index = HotlistIndex(old)
    reads = [make_read("OLD0007"), make_read("NEW0007")]
    seen: list[set[str]] = []
    stop = threading.Event()

    def match() -> None:
        while not stop.is_set():
            seen.append({h.plate_listed[:3] for h in index.match_reads(reads)})

    workers = [threading.Thread(target=match) for _ in range(2)]
    for worker in workers:
        worker.start()
    for generation in range(6):
        index.replace(new if generation % 2 == 0 else old)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    # every result comes from one whole generation, never from half of one
    assert seen
    assert {frozenset(s) for s in seen} <= {frozenset({"OLD"}), frozenset({"NEW"})}
    assert index.size == 2000
