import uuid
from pathlib import Path

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from plateledger.plates import confusion_key, deletion_variants
from plateledger.store import ReadStore
from plateledger.store.dictionary import distinct_plates, plate_variants
from plateledger.store.images import ImageStore
from tests.factories import make_read

plates = st.lists(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8),
    min_size=1, max_size=30,
)


@given(plates)
def test_arrow_variants_equal_the_python_definition(values: list[str]) -> None:
    table = pa.table({"plate": values, "plate_key": [confusion_key(p) for p in values]})
    distinct = distinct_plates(table)
    assert sorted(distinct.column("plate").to_pylist()) == sorted(set(values))
    variants = plate_variants(distinct)
    got = set(zip(variants.column("variant").to_pylist(), variants.column("plate").to_pylist(),
                  strict=True))
    expected = {(v, p) for p in set(values) for v in deletion_variants(confusion_key(p))}
    assert got == expected


def test_every_stored_plate_is_in_the_dictionary(store: ReadStore) -> None:
    store.insert_reads([make_read("8ABC123"), make_read("8ABC123"), make_read("7XYZ981")])
    known = store.query("SELECT DISTINCT plate FROM {db}.plates ORDER BY plate").to_pylist()
    assert known == [{"plate": "7XYZ981"}, {"plate": "8ABC123"}]


def test_images_are_stored_and_found_by_their_reference(tmp_path: Path) -> None:
    images = ImageStore(tmp_path)
    read_id = uuid.uuid4()
    ref = images.put(read_id, "plate", b"\xff\xd8jpeg")
    assert ref.startswith("local:") and str(read_id) in ref
    assert images.get(ref) == b"\xff\xd8jpeg"
    assert images.get("local:../../etc/passwd") is None
    assert images.get(f"local:00/{uuid.uuid4()}.plate.jpg") is None
