"""The closed list of NIBRS offense codes a search names, and its validation."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from plateledger.access.searches import SearchCreate, SearchParams
from plateledger.policy.offense import OFFENSE_TYPES_URL, UnknownOffense, offense, offenses
from tests.conftest import LiveServer


def test_the_list_carries_the_fbis_codes_and_names() -> None:
    named = {o.code: o.name for o in offenses()}
    assert named["09A"] == "Murder and Nonnegligent Manslaughter"
    assert named["120"] == "Robbery"
    assert named["240"] == "Motor Vehicle Theft"
    assert named["90Z"] == "All Other Offenses"
    assert {o.group for o in offenses()} == {"A", "B"}
    assert len(named) == len(offenses())  # no code twice


def test_a_code_is_found_whatever_its_case() -> None:
    assert offense("09a").code == "09A"


@pytest.mark.parametrize("code", ["", "999", "murder", "09", "240 "])
def test_anything_off_the_list_is_refused_naming_the_list(code: str) -> None:
    if code.strip() == "240":
        assert offense(code).code == "240"
        return
    with pytest.raises(UnknownOffense, match=OFFENSE_TYPES_URL):
        offense(code)


def test_a_search_naming_an_unknown_offense_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a NIBRS offense code"):
        SearchCreate(kind="exact", params=SearchParams(plate="7ABC123"),
                     purpose="stolen_vehicle", offense_type="999")
    body = SearchCreate(kind="exact", params=SearchParams(plate="7ABC123"),
                        purpose="stolen_vehicle", offense_type="23h")
    assert body.offense_type == "23H"


def test_the_list_is_served_where_refusals_point(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}{OFFENSE_TYPES_URL}", timeout=30)
    assert response.status_code == 200
    served = {item["code"]: item for item in response.json()}
    assert served["240"] == {"code": "240", "group": "A", "name": "Motor Vehicle Theft"}
    assert len(served) == len(offenses())
