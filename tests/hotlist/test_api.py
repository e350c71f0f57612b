"""The hot-list API over HTTP: own agency only, roles for list management, dispositions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plateledger.access.policy_source import PolicyAlertGate, PolicySource
from plateledger.api.errors import install_error_handlers
from plateledger.api.routes import alerts, hotlists
from plateledger.api.routes.reads import keep
from plateledger.audit import AuditLog, NoteSigner
from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.hotlist import HotlistRuntime
from plateledger.policy.clocks import RetentionPolicy
from plateledger.settings import Settings
from tests.factories import make_read

SAMPLES = Path(__file__).parents[2] / "docs" / "samples"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    settings = Settings(data_dir=tmp_path / "data", catalog_url=f"sqlite:///{tmp_path / 'c.db'}",
                        secret_key="s" * 32, require_totp=False)  # fmt: skip
    opened = open_catalog(settings, password_hasher=FAST)
    yield opened
    opened.close()


@pytest.fixture
def runtime(catalog: Catalog, tmp_path: Path) -> Iterator[HotlistRuntime]:
    audit = AuditLog(catalog.engine, signer=NoteSigner.load_or_create(tmp_path, "test/api"))
    audit.create_tables()
    gate = PolicyAlertGate(PolicySource(catalog, check_every=0))
    opened = HotlistRuntime.open(catalog.engine, audit, gate)
    yield opened
    opened.close()


@pytest.fixture
def client(catalog: Catalog, runtime: HotlistRuntime) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.catalog = catalog
    app.state.hotlist = runtime
    app.state.policy = PolicySource(catalog, check_every=0)  # decides who manages lists
    install_error_handlers(app)
    app.include_router(hotlists.router)
    app.include_router(alerts.router)
    with TestClient(app) as test_client:
        yield test_client


def token(catalog: Catalog, agency: str, username: str, roles: list[str]) -> dict[str, str]:
    found = catalog.agency_by_slug(agency)
    if found is None:
        found = catalog.add_agency(agency, agency, "municipal", "CA")
    user = catalog.add_user(found.id, username, PASSWORD, roles)
    return {"Authorization": f"Bearer {catalog.issue_token(user)}"}


def upload(client: TestClient, headers: dict[str, str], **form: str) -> dict[str, object]:
    with (SAMPLES / "hotlist.csv").open("rb") as handle:
        response = client.post(
            "/v1/hotlists/import", headers=headers,
            files={"file": ("hotlist.csv", handle, "text/csv")},
            data={"name": "stolen", "category": "stolen_vehicle", **form},
        )  # fmt: skip
    assert response.status_code in (201, 422), response.text
    body: dict[str, object] = response.json()
    return body


def test_a_supervisor_uploads_a_list_and_sees_bad_rows(
    client: TestClient, catalog: Catalog
) -> None:
    headers = token(catalog, "ucpd", "sam", ["supervisor"])
    report = upload(client, headers)
    assert report["imported"] == 4
    assert [e["line"] for e in report["errors"]] == [5]  # type: ignore[attr-defined]
    lists = client.get("/v1/hotlists", headers=headers).json()
    assert [(h["name"], h["entry_count"]) for h in lists] == [("stolen", 4)]


def test_refusing_a_bad_file_answers_422_with_lines(
    client: TestClient, catalog: Catalog
) -> None:
    body = upload(client, token(catalog, "ucpd", "sam", ["supervisor"]), on_error="refuse")
    assert body["error"]["code"] == "import_refused"  # type: ignore[index]
    assert body["error"]["details"][0]["field"] == "line 5"  # type: ignore[index]


def test_a_dispatcher_may_not_manage_lists(client: TestClient, catalog: Catalog) -> None:
    headers = token(catalog, "ucpd", "dee", ["dispatcher"])
    response = client.post("/v1/hotlists", headers=headers,
                           json={"name": "x", "category": "warrant", "entries": []})  # fmt: skip
    assert response.status_code == 403
    assert client.get("/v1/hotlists").status_code == 401


def test_lists_and_hits_of_another_agency_are_out_of_reach(
    client: TestClient, catalog: Catalog, runtime: HotlistRuntime
) -> None:
    mine = token(catalog, "ucpd", "sam", ["supervisor"])
    theirs = token(catalog, "sjpd", "tess", ["supervisor"])
    report = client.post("/v1/hotlists", headers=mine, json={
        "name": "w", "category": "warrant", "entries": [{"plate": "7ABC123"}]}).json()  # fmt: skip
    assert client.get("/v1/hotlists", headers=theirs).json() == []
    assert client.delete(f"/v1/hotlists/{report['list_id']}", headers=theirs).status_code == 404
    owner = catalog.agency_by_slug("ucpd")
    assert owner is not None
    runtime.service.process([make_read("7ABC123", owner=owner.id)])
    [hit] = client.get("/v1/hits", headers=mine).json()
    assert client.get(f"/v1/hits/{hit['hit_id']}", headers=theirs).status_code == 404


def test_an_officer_records_a_disposition_and_the_stats_count_it(
    client: TestClient, catalog: Catalog, runtime: HotlistRuntime
) -> None:
    sup = token(catalog, "ucpd", "sam", ["supervisor"])
    officer = token(catalog, "ucpd", "otto", ["dispatcher"])
    client.post("/v1/hotlists", headers=sup, json={
        "name": "w", "category": "warrant", "entries": [{"plate": "7ABC123"}]})  # fmt: skip
    owner = catalog.agency_by_slug("ucpd")
    assert owner is not None
    runtime.service.process([make_read("7ABC123", owner=owner.id)])
    [hit] = client.get("/v1/hits?pending=true", headers=officer).json()
    bad = client.post(f"/v1/hits/{hit['hit_id']}/disposition", headers=officer,
                      json={"disposition": "misread", "action": "arrest"})  # fmt: skip
    assert bad.status_code == 422
    done = client.post(f"/v1/hits/{hit['hit_id']}/disposition", headers=officer,
                       json={"disposition": "confirmed", "action": "citation"}).json()  # fmt: skip
    assert (done["disposition"], done["action"], done["disposed_by"]) == (
        "confirmed", "citation", "otto")
    stats = client.get("/v1/hits/stats", headers=officer,
                       params={"since": "2000-01-01T00:00:00Z",
                               "until": "2100-01-01T00:00:00Z"}).json()  # fmt: skip
    assert (stats["matches"], stats["confirmed"], stats["stops"]) == (1, 1, 1)


def test_webhook_subscriptions_show_the_secret_once(
    client: TestClient, catalog: Catalog
) -> None:
    headers = token(catalog, "ucpd", "sam", ["supervisor"])
    created = client.post("/v1/webhooks", headers=headers,
                          json={"url": "https://hooks.example.org/alpr"}).json()  # fmt: skip
    assert len(created["secret"]) >= 32
    [listed] = client.get("/v1/webhooks", headers=headers).json()
    assert listed["secret"] is None
    assert client.patch(f"/v1/webhooks/{listed['id']}", headers=headers,
                        json={"active": False}).status_code == 204  # fmt: skip
    assert client.delete(f"/v1/webhooks/{listed['id']}", headers=headers).status_code == 204
    assert client.get("/v1/webhooks/outbox?status=dead", headers=headers).json() == []


def test_the_alert_stream_needs_a_login(client: TestClient) -> None:
    assert client.get("/v1/alerts/stream").status_code == 401


def test_an_upload_whose_source_is_immigration_enforcement_is_flagged_and_reclassed(
    client: TestClient, catalog: Catalog
) -> None:
    headers = token(catalog, "ucpd", "sam", ["supervisor"])
    report = upload(client, headers, source="DHS ERO field office",
                    description="vehicles of interest")  # fmt: skip
    assert report["flags"] == ["immigration"]
    assert report["screened_classes"] == ["immigration_violator"]
    [listed] = client.get("/v1/hotlists", headers=headers).json()
    assert (listed["category"], listed["screened_class"], listed["description"]) == (
        "stolen_vehicle", "immigration_violator", "vehicles of interest"
    )


def test_json_entries_carry_their_case_number_and_category_into_the_hit(
    client: TestClient, catalog: Catalog, runtime: HotlistRuntime
) -> None:
    headers = token(catalog, "ucpd", "sam", ["supervisor"])
    report = client.post("/v1/hotlists", headers=headers, json={
        "name": "mixed", "category": "stolen_vehicle", "description": "NCIC extract",
        "entries": [{"plate": "7ABC123", "case_number": "24-7", "category": "warrant"}],
    }).json()  # fmt: skip
    assert (report["flags"], report["flagged_entries"]) == ([], 0)
    owner = catalog.agency_by_slug("ucpd")
    assert owner is not None
    runtime.service.process([make_read("7ABC123", owner=owner.id)])
    [hit] = client.get("/v1/hits", headers=headers).json()
    assert (hit["category"], hit["case_number"]) == ("warrant", "24-7")


def test_an_entry_category_outside_the_closed_list_is_refused(
    client: TestClient, catalog: Catalog
) -> None:
    response = client.post("/v1/hotlists", headers=token(catalog, "ucpd", "sam", ["supervisor"]),
                           json={"name": "x", "category": "warrant",
                                 "entries": [{"plate": "7ABC123", "category": "stuff"}]})
    assert response.status_code == 422


def test_a_list_whose_owner_may_not_receive_a_hit_does_not_lengthen_the_reads_life(
    client: TestClient, catalog: Catalog, runtime: HotlistRuntime
) -> None:
    """Retention keeps a hit longer than a non-hit; only a hit that policy would deliver
    counts. A federal unit's list over a California city's plates must not keep the
    city's reads past the city's own clock."""
    catalog.add_agency("Federal unit", "fed", "federal", "CA")
    fed = token(catalog, "fed", "fed-sup", ["supervisor"])
    city = token(catalog, "ucpd", "sam", ["supervisor"])
    for headers, plate in ((fed, "7FED001"), (city, "7OWN001")):
        response = client.post("/v1/hotlists", headers=headers, json={
            "name": "list", "category": "stolen_vehicle",
            "entries": [{"plate": plate, "case_number": "24-8"}]})
        assert response.status_code == 201, response.text
    owner = catalog.agency_by_slug("ucpd")
    assert owner is not None
    theirs, ours = (make_read(p, owner=owner.id) for p in ("7FED001", "7OWN001"))
    assert runtime.service.deliverable_read_ids([theirs, ours]) == {ours.read_id}

    def clocks(owner_id: int) -> RetentionPolicy:
        return RetentionPolicy(non_hit=timedelta(days=1), hit=timedelta(days=90),
                               images=timedelta(days=1))

    kept, _ = keep(SimpleNamespace(hotlist=runtime, retention_for=clocks),
                   [(0, theirs), (1, ours)])
    by_plate = {read.plate: read for _, read in kept}
    assert by_plate["7FED001"].hit is False
    assert by_plate["7OWN001"].hit is True
    assert by_plate["7FED001"].expires_at < by_plate["7OWN001"].expires_at


@pytest.mark.parametrize("roles", [["auditor"], ["admin"]])
def test_hits_carry_reads_so_auditors_and_admins_may_not_read_them(
    client: TestClient, catalog: Catalog, roles: list[str]
) -> None:
    headers = token(catalog, "ucpd", f"u-{roles[0]}", roles)
    for path in ("/v1/hits", "/v1/hits/any-id", "/v1/alerts/stream"):
        response = client.get(path, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert "role-receive-alert" in response.text
    dispatcher = token(catalog, "ucpd", "d", ["dispatcher"])
    assert client.get("/v1/hits", headers=dispatcher).status_code == 200


def test_an_upload_holding_an_immigration_violator_file_is_refused_naming_the_rule(
    client: TestClient, catalog: Catalog, runtime: HotlistRuntime
) -> None:
    headers = token(catalog, "ucpd", "sam", ["supervisor"])
    text = "plate,file_type\n7ABC123,ncic_stolen_vehicle\n8XYZ999,ncic_immigration_violator\n"
    response = client.post(
        "/v1/hotlists/import", headers=headers,
        files={"file": ("ivf.csv", text.encode(), "text/csv")},
        data={"name": "mixed", "category": "stolen_vehicle"},
    )  # fmt: skip
    assert response.status_code == 422, response.text
    assert "ca-gov-7284.6-no-immigration-violator-file" in response.json()["error"]["message"]
    assert runtime.store.lists() == []
