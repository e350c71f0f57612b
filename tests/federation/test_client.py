"""The requesting side: one signed request, sent once, and how it ended — answered by the
owner's real app, refused by it with its code, or unavailable (nothing listening, or a
node that accepts and never answers) without a retry."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plateledger.access.federated import partner_request
from plateledger.access.searches import SearchCreate
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.federation import NodeClient, NodeKey
from plateledger.settings import Settings
from tests.federation.test_searches import (  # noqa: F401  (fixture used by name)
    PATH,
    World,
    body,
    searches_logged,
    world,
)


def test_a_partner_search_is_signed_sent_and_answered(world: World) -> None:  # noqa: F811
    payload = body(world.plate)
    answer = NodeClient(world.fremont, world.client).post("http://testserver", PATH, payload)
    assert (answer.outcome, answer.status) == ("answered", 200)
    assert answer.body is not None
    assert [r["plate"] for r in answer.body["results"]] == [world.plate]
    assert [e["query"]["search_id"] for e in searches_logged(world)] == [payload["search_id"]]


def test_a_refusal_comes_back_with_the_owner_code(world: World) -> None:  # noqa: F811
    answer = NodeClient(NodeKey.generate(), world.client).post(
        "http://testserver", PATH, body(world.plate)
    )
    assert (answer.outcome, answer.status, answer.code) == ("refused", 401, "unknown_node")


def test_nothing_listening_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with httpx.Client() as http:
        answer = NodeClient(NodeKey.generate(), http).post(f"http://127.0.0.1:{port}", PATH, {})
    assert (answer.outcome, answer.code) == ("unavailable", "unreachable")


@pytest.fixture
def silent() -> Iterator[tuple[int, socket.socket]]:
    """A node that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        yield listener.getsockname()[1], listener


def test_a_node_that_never_answers_is_unavailable_once(
    silent: tuple[int, socket.socket],
) -> None:
    port, listener = silent
    with httpx.Client(timeout=0.5) as http:
        answer = NodeClient(NodeKey.generate(), http).post(f"http://127.0.0.1:{port}", PATH, {})
    assert (answer.outcome, answer.code) == ("unavailable", "timeout")
    listener.settimeout(0.5)
    connection, _ = listener.accept()  # the one connection it made
    connection.close()
    with pytest.raises(TimeoutError):
        listener.accept()  # and no second: it did not retry


def test_an_answer_that_is_not_the_api_json_is_unavailable() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>a captive portal</html>")

    with httpx.Client(transport=httpx.MockTransport(page)) as http:
        answer = NodeClient(NodeKey.generate(), http).post("http://node.example", PATH, {})
    assert (answer.outcome, answer.status, answer.code) == ("unavailable", 200, "bad_answer")


def test_a_local_users_search_becomes_the_partner_request_under_its_own_uuid(
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The requesting node's side, with its own catalog: its user's search, sent signed,
    is decided and logged by the owner under the same UUID."""
    requester = open_catalog(
        Settings(data_dir=tmp_path / "fremont", require_totp=False), password_hasher=FAST
    )
    try:
        fpd = requester.add_agency("Fremont PD", "fpd", "municipal", "CA")
        account = requester.add_user(fpd.id, "fred", "correct horse battery", ["investigator"])
        user = requester.user_for_token(requester.issue_token(account))
        assert user is not None
        search = SearchCreate.model_validate(
            {
                "kind": "exact",
                "params": {"plate": world.plate},
                "purpose": "stolen_vehicle",
                "offense_type": "240",
                "case_number": "FR-1",
                "reason": "stolen pickup",
            }
        )
        search_id = uuid.uuid4()
        payload = partner_request(user, fpd, search, search_id).model_dump(mode="json")
        wildcard = search.model_copy(update={"kind": "wildcard"})
        assert partner_request(user, fpd, wildcard, search_id).kind == "wildcard"
    finally:
        requester.close()
    answer = NodeClient(world.fremont, world.client).post("http://testserver", PATH, payload)
    assert answer.outcome == "answered" and answer.body is not None
    assert answer.body["search_id"] == str(search_id)
    [entry] = searches_logged(world)
    assert (entry["query"]["search_id"], entry["user"]) == (str(search_id), "fred@fremont")
    assert payload["requester"] == {
        "user": "fred",
        "agency": "fpd",
        "agency_class": "municipal",
        "roles": ["investigator"],
    }
