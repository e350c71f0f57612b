"""What docs/hotlists.md says the hot-list code does, claim by claim, where no other test
holds the claim: closed lists, import layouts and columns, screening words, defaults of the
server's runtime, delivery records, webhook headers, the command line. Real store, real
policy engine and law packs, real app routes; plates unique to these tests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from plateledger.access.policy_source import PolicyAlertGate, PolicySource
from plateledger.api.app import create_app
from plateledger.api.errors import install_error_handlers
from plateledger.api.events import KEEPALIVE
from plateledger.api.routes import alerts, hotlists
from plateledger.audit import AuditLog, NoteSigner
from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.cli.main import app as cli
from plateledger.hotlist import (
    Category,
    Disposition,
    EngineAlertGate,
    FileType,
    FileTypeRefused,
    HitAction,
    HitService,
    HitStore,
    HotlistIndex,
    HotlistRuntime,
    HotlistStore,
    MqttPublisher,
    WebhookOutbox,
    parse_file,
    signature_header,
)
from plateledger.hotlist.importing import parse_csv
from plateledger.policy import AgencyFacts, AgencyKind, PolicyEngine, default_packs
from plateledger.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_read, unique_plate, withheld_entries
from tests.hotlist.conftest import OAKLAND, RENO, SLUGS, alert_agreement
from tests.hotlist.receiver import Receiver

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "hotlists.md").read_text()
PASSWORD = "correct horse battery staple"
SECRET = "a-secret-for-the-docs-claims"


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def plates(store: HotlistStore, list_id: int) -> list[str]:
    return [s.entry.plate for s in store.entries(list_id)]


# -- closed lists ---------------------------------------------------------------------


def test_the_categories_are_the_documented_closed_list() -> None:
    """"A list has one category, from a closed list" — the sixteen of the table."""
    assert {c.value for c in Category} == {
        "stolen_vehicle", "stolen_plate", "wanted_person", "missing_person",
        "endangered_person", "amber_alert", "silver_alert", "warrant", "protection_order",
        "sex_offender", "gang_member", "terrorist_watchlist", "suspended_registration",
        "uninsured", "investigative_interest", "immigration_violator",
    }  # fmt: skip


def test_the_file_types_are_the_documented_closed_list() -> None:
    """"Every list and every entry carries the type of the file it was taken from, from a
    closed list" — the fifteen of the table."""
    assert {f.value for f in FileType} == {
        "ncic_stolen_vehicle", "ncic_stolen_plate", "ncic_wanted_person",
        "ncic_missing_person", "ncic_protection_order", "ncic_supervised_release",
        "ncic_immigration_violator", "ncic_gang", "ncic_known_or_suspected_terrorist",
        "ncic_violent_person", "ncic_sex_offender", "ncic_foreign_fugitive", "state",
        "local", "unspecified",
    }  # fmt: skip


def test_dispositions_and_actions_are_the_documented_ones() -> None:
    """"`confirmed`, `misread`, `wrong_state`, `dismissed` … and what followed: `none`,
    `stop`, `warning`, `citation`, `arrest`, `vehicle_recovered`, `person_located`"."""
    assert {d.value for d in Disposition} == {"confirmed", "misread", "wrong_state",
                                              "dismissed"}  # fmt: skip
    assert {a.value for a in HitAction} == {"none", "stop", "warning", "citation", "arrest",
                                            "vehicle_recovered", "person_located"}  # fmt: skip


def test_a_listed_plate_is_stored_upper_case_without_separators(hotlists: HotlistStore) -> None:
    """"plate (normalised: upper case, separators removed)"."""
    plate = unique_plate()
    spelled = f" {plate[:3].lower()}-{plate[3:5]} {plate[5:].lower()} "
    report = hotlists.import_list(OAKLAND, "norm", "local", "warrant", [{"plate": spelled}])
    assert plates(hotlists, report.list_id) == [plate]


# -- the law packs of Illinois, Oregon and Washington ------------------------------------

STATES = {"IL": (21, "il-"), "OR": (22, "or-"), "WA": (23, "wa-")}


@pytest.fixture
def states_policy() -> PolicyEngine:
    """An agency in each of Illinois, Oregon and Washington, and Reno (no state pack),
    which each of them shares alerts with."""
    facts = [AgencyFacts(RENO, "Reno PD", AgencyKind.MUNICIPAL, "NV", default_packs("NV"))]
    facts += [AgencyFacts(agency, f"{state} PD", AgencyKind.MUNICIPAL, state,
                          default_packs(state)) for state, (agency, _) in STATES.items()]
    agreements = [alert_agreement(n, agency, RENO)
                  for n, (agency, _) in enumerate(STATES.values(), start=1)]  # fmt: skip
    return PolicyEngine(facts, agreements)


def states_service(engine: Engine, audit: AuditLog, policy: PolicyEngine,
                   store: HotlistStore) -> HitService:  # fmt: skip
    index = HotlistIndex()
    index.follow(store)
    return HitService(index, store, HitStore(engine), EngineAlertGate(lambda: policy), audit,
                      agency_name=lambda agency: SLUGS.get(agency, f"agency-{agency}"))


@pytest.mark.parametrize("state", sorted(STATES))
def test_an_illinois_oregon_or_washington_agency_is_refused_an_immigration_violator_file(
    engine: Engine, states_policy: PolicyEngine, state: str
) -> None:
    """"A California, Illinois, Oregon or Washington agency is refused a list holding any
    NCIC Immigration Violator File entry (… `il-…`, `or-…`, `wa-…`); nothing of the file
    is stored"."""
    agency, prefix = STATES[state]
    store = HotlistStore(engine, file_gate=EngineAlertGate(lambda: states_policy))
    rows = [{"plate": unique_plate()},
            {"plate": unique_plate(), "file_type": "ncic_immigration_violator"}]  # fmt: skip
    with pytest.raises(FileTypeRefused) as refused:
        store.import_list(agency, "mixed", "NCIC", "stolen_vehicle", rows,
                          file_type="ncic_stolen_vehicle")  # fmt: skip
    assert any(rule.startswith(prefix) and rule.endswith("-no-immigration-violator-file")
               for rule in refused.value.policy_ids), refused.value.policy_ids  # fmt: skip
    assert store.lists(agency) == []


@pytest.mark.parametrize("state", sorted(STATES))
def test_a_stolen_vehicle_list_whose_source_is_dhs_ero_never_matches_the_states_reads(
    engine: Engine, audit: AuditLog, states_policy: PolicyEngine, state: str
) -> None:
    """"a list of "stolen vehicles" whose source is `DHS ERO` never matches California,
    Illinois, Oregon or Washington reads" (Illinois, Oregon, Washington here)."""
    agency, prefix = STATES[state]
    store = HotlistStore(engine)
    service = states_service(engine, audit, states_policy, store)
    plate = unique_plate()
    store.import_list(RENO, "stolen", "DHS ERO", "stolen_vehicle", [{"plate": plate}])
    report = service.process([make_read(plate, owner=agency, state=state)])
    assert (report.candidates, report.delivered, report.denied) == (1, 0, 1)
    [withheld] = withheld_entries(audit)
    assert withheld["list_class"] == "immigration_violator"
    assert any(rule.startswith(prefix) for rule in withheld["policy_ids"]), withheld


@pytest.mark.parametrize("state", sorted(STATES))
def test_an_immigration_violator_file_entry_never_matches_the_states_reads(
    engine: Engine, audit: AuditLog, states_policy: PolicyEngine, state: str
) -> None:
    """"an entry of that file never matches those states' reads, whoever owns the list and
    whatever class it declares" (Illinois, Oregon, Washington here)."""
    agency, prefix = STATES[state]
    store = HotlistStore(engine)
    service = states_service(engine, audit, states_policy, store)
    plate = unique_plate()
    store.import_list(RENO, "vehicles", "NCIC", "stolen_vehicle",
                      [{"plate": plate, "file_type": "ncic_immigration_violator"}])
    report = service.process([make_read(plate, owner=agency, state=state)])
    assert (report.delivered, report.denied) == (0, 1)
    [withheld] = withheld_entries(audit)
    assert f"{prefix}" in " ".join(withheld["policy_ids"]), withheld


def test_a_list_that_does_not_say_is_unspecified_and_its_entries_keep_their_rows_type(
    hotlists: HotlistStore,
) -> None:
    """"a list that does not say is `unspecified`, and each entry keeps the file type its
    row names"."""
    rows = [{"plate": unique_plate(), "file_type": "ncic_stolen_plate"},
            {"plate": unique_plate()}]  # fmt: skip
    report = hotlists.import_list(OAKLAND, "plates", "NCIC", "stolen_plate", rows)
    assert sorted(report.file_types) == ["ncic_stolen_plate", "unspecified"]
    [listed] = [x for x in hotlists.lists(OAKLAND) if x.name == "plates"]
    assert listed.file_type is FileType.UNSPECIFIED
    kept = sorted(e.entry.file_type for e in hotlists.entries(listed.id))
    assert kept == ["", "ncic_stolen_plate"]


# -- screening --------------------------------------------------------------------------


@pytest.mark.parametrize("words", [
    "ICE", "ERO", "HSI", "CBP", "DHS", "Border Patrol", "287(g)", "detainer", "I-247",
    "removal order", "deportation", "removal targets", "Enforcement and Removal Operations",
])  # fmt: skip
def test_immigration_enforcement_words_in_a_reason_give_the_screened_class(
    hotlists: HotlistStore, words: str
) -> None:
    """"immigration enforcement — ICE, ERO, HSI, CBP, DHS, Border Patrol, 287(g),
    detainers, I-247, removal orders, deportation …"; "`removal order`, `removal targets`,
    `Enforcement and Removal Operations` do"."""
    row = {"plate": unique_plate(), "reason": f"vehicle of interest: {words}"}
    report = hotlists.import_list(OAKLAND, "leads", "local", "stolen_vehicle", [row])
    assert "immigration" in report.flags
    assert report.screened_classes == ("immigration_violator",)
    assert report.flagged_entries == 1


@pytest.mark.parametrize(("reason", "flag"), [
    ("seen at the abortion clinic", "reproductive_health"),
    ("organizer of the protest downtown", "protected_activity"),
])  # fmt: skip
def test_health_care_and_protected_activity_words_are_flagged(
    hotlists: HotlistStore, reason: str, flag: str
) -> None:
    """"reproductive or other lawful health care; protected activity" are screened too."""
    row = {"plate": unique_plate(), "reason": reason}
    report = hotlists.import_list(OAKLAND, "leads", "local", "investigative_interest", [row])
    assert flag in report.flags


@pytest.mark.parametrize(("name", "description"), [
    ("ERO targets", ""),
    ("vehicles", "plates for the HSI task force"),
])  # fmt: skip
def test_a_lists_name_and_description_are_screened(
    hotlists: HotlistStore, name: str, description: str
) -> None:
    """"A list's source, name and description … are screened"."""
    report = hotlists.import_list(OAKLAND, name, "local", "stolen_vehicle",
                                  [{"plate": unique_plate()}], description=description)
    assert report.flags == ("immigration",)
    [listed] = hotlists.lists(OAKLAND)
    assert listed.screened_class is Category.IMMIGRATION_VIOLATOR


# -- importing --------------------------------------------------------------------------


def test_expired_rows_are_imported_counted_and_never_match(
    hotlists: HotlistStore, index: HotlistIndex
) -> None:
    """"Expired rows are imported (and counted as `already_expired`) but never match"."""
    old, live = unique_plate(), unique_plate()
    report = hotlists.import_list(OAKLAND, "mixed", "local", "warrant", [
        {"plate": old, "expires": "2001-01-01"}, {"plate": live}])  # fmt: skip
    assert (report.imported, report.already_expired) == (2, 1)
    assert plates(hotlists, report.list_id) == [old, live]
    hit_plates = [h.plate_listed for h in index.match_reads(
        [make_read(old, owner=OAKLAND), make_read(live, owner=OAKLAND)])]
    assert hit_plates == [live]


CSV_HEADERS = [
    *[(h, "plate") for h in ("plate", "plate_number", "license_plate", "lic", "lpn", "tag",
                             "plate_no", "vrm")],
    *[(h, "region") for h in ("region", "state", "lis", "plate_state", "st", "jurisdiction")],
    *[(h, "reason") for h in ("reason", "description", "notes", "note", "comment", "mis")],
    *[(h, "case_number") for h in ("case_number", "case", "case_no", "oca", "incident",
                                   "incident_number")],
    *[(h, "expires") for h in ("expires", "expiry", "expires_at", "expiration", "exp",
                               "exp_date", "expiry_date")],
    *[(h, "priority") for h in ("priority", "prio", "level", "pri")],
    *[(h, "category") for h in ("category", "list_category", "entry_category")],
    *[(h, "file_type") for h in ("file_type", "source_file", "ncic_file", "file")],
]  # fmt: skip


@pytest.mark.parametrize(("header", "field"), CSV_HEADERS)
def test_each_documented_csv_header_names_its_field(header: str, field: str) -> None:
    """The CSV table: "| field | accepted headers |"."""
    text = f"{header}\nVALUE1\n" if field == "plate" else f"plate,{header}\n7ABC123,VALUE1\n"
    [row] = parse_csv(text)
    assert row.error is None
    assert row.fields[field] == "VALUE1"


def test_csv_headers_ignore_case_and_spaces_and_unknown_columns(hotlists: HotlistStore) -> None:
    """"A header row names the columns (case and spaces do not matter); unknown columns
    are ignored"."""
    plate = unique_plate()
    rows = parse_file(f"Plate Number, STATE ,Vehicle Make,Case No\n{plate},nv,Honda,24-9\n",
                      "csv")
    assert [r.fields for r in rows] == [{"plate": plate, "region": "nv", "case_number": "24-9"}]
    report = hotlists.import_list(OAKLAND, "csv", "local", "warrant", rows)
    [stored] = hotlists.entries(report.list_id)
    assert (stored.entry.plate, stored.entry.region, stored.entry.case_number) == (
        plate, "NV", "24-9")


def test_expiry_forms_and_the_never_date(hotlists: HotlistStore) -> None:
    """"Expiry is `YYYY-MM-DD` or `YYYYMMDD` (the list entry expires at the end of that
    day, UTC) or an ISO-8601 time with a zone … `9999-12-31` (`99991231`) … is taken as
    no expiry"."""
    given = ["2030-06-30", "20300630", "2030-06-30T23:59:59Z", "2030-06-30T20:00:00-04:00",
             "9999-12-31", "99991231"]
    report = hotlists.import_list(OAKLAND, "expiry", "local", "warrant",
                                  [{"plate": unique_plate(), "expires": e} for e in given])
    assert report.errors == ()
    end_of_day = millis(datetime(2030, 7, 1, tzinfo=UTC))
    assert [s.entry.expires_at for s in hotlists.entries(report.list_id)] == [
        end_of_day, end_of_day, end_of_day - 1000, end_of_day, None, None]


def test_a_pipe_extract_without_a_header_has_the_default_order(hotlists: HotlistStore) -> None:
    """"lines starting with `#` ignored … without it the order is `LIC|LIS|OCA|NIC|MIS|EXP`
    … (`NIC`, the NCIC number, stands in when `OCA` is empty)"."""
    first, second = unique_plate(), unique_plate()
    text = (f"# NCIC extract, no header\n{first}|AZ|24-77|W1|STOLEN SEDAN|20300630\n"
            f"{second}|CA||W0000099|STOLEN TRUCK|\n")
    rows = parse_file(text)
    report = hotlists.import_list(OAKLAND, "pipe", "NCIC", "stolen_vehicle", rows)
    assert report.errors == ()
    entries = [s.entry for s in hotlists.entries(report.list_id)]
    assert [(e.plate, e.region, e.case_number, e.reason) for e in entries] == [
        (first, "AZ", "24-77", "STOLEN SEDAN"), (second, "CA", "W0000099", "STOLEN TRUCK")]
    assert [e.expires_at for e in entries] == [millis(datetime(2030, 7, 1, tzinfo=UTC)), None]


def test_a_pipe_header_of_mnemonics_names_the_fields(hotlists: HotlistStore) -> None:
    """"A first line made of NCIC mnemonics names the fields … `PRI` priority; others
    (`LIT`, `LIY`, `VIN`, `VMA`…) are ignored"."""
    plate = unique_plate()
    rows = parse_file(f"VIN|LIT|PRI|LIC|VMA|LIY|OCA|LIS|MIS\n"
                      f"1HGCM82633A004352|PC|7|{plate}|HOND|2026|24-5|OR|WANTED\n")
    assert [r.fields for r in rows] == [{"priority": "7", "plate": plate, "case_number": "24-5",
                                         "region": "OR", "reason": "WANTED"}]  # fmt: skip
    report = hotlists.import_list(OAKLAND, "pipe", "NCIC", "warrant", rows)
    [stored] = hotlists.entries(report.list_id)
    assert stored.entry.priority == 7


def test_a_fixed_width_record_under_12_characters_is_a_bad_row(hotlists: HotlistStore) -> None:
    """"A record shorter than 12 characters is a bad row"; "`EXP` … (blank: none)"."""
    plate = unique_plate()
    good = f"{plate:<10}CA{'PC':<2}{'24-1':<20}{'W1':<10}{'':<8}STOLEN"
    text = f"{good}\n7SHORT CA\n"
    rows = parse_file(text, "ncic-fixed")
    report = hotlists.import_list(OAKLAND, "fixed", "NCIC", "stolen_vehicle", rows)
    assert [e.line for e in report.errors] == [2]
    [stored] = hotlists.entries(report.list_id)
    assert (stored.entry.plate, stored.entry.case_number, stored.entry.expires_at,
            stored.entry.reason) == (plate, "24-1", None, "STOLEN")  # fmt: skip


# -- the server's runtime: defaults -------------------------------------------------------


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    settings = Settings(data_dir=tmp_path / "data", catalog_url=f"sqlite:///{tmp_path / 'c.db'}",
                        secret_key="s" * 32, require_totp=False)  # fmt: skip
    opened = open_catalog(settings, password_hasher=FAST)
    yield opened
    opened.close()


@pytest.fixture
def runtime(catalog: Catalog, tmp_path: Path) -> Iterator[HotlistRuntime]:
    log = AuditLog(catalog.engine, signer=NoteSigner.load_or_create(tmp_path, "test/docs"))
    log.create_tables()
    opened = HotlistRuntime.open(catalog.engine, log, PolicyAlertGate(PolicySource(catalog)))
    yield opened
    opened.close()


def test_the_servers_runtime_keeps_the_documented_defaults(runtime: HotlistRuntime) -> None:
    """"kept for the hit retention, 365 days unless configured"; "retried after 5 s, 10 s,
    20 s … (doubling, at most 1 hour between attempts); after 12 attempts the row is
    dead-lettered"; "a ping comment every 15 s"; "QoS 1 to
    `plateledger/alerts/{agency_id}`"."""
    assert runtime.hits.retention == timedelta(days=365)
    outbox = runtime.webhooks
    assert (outbox.max_attempts, outbox.base_delay, outbox.max_delay) == (
        12, timedelta(seconds=5), timedelta(hours=1))
    assert KEEPALIVE == 15
    publisher = MqttPublisher()
    assert (publisher.qos, publisher.topic(7)) == (1, "plateledger/alerts/7")


# -- over HTTP ----------------------------------------------------------------------------


@pytest.fixture
def client(catalog: Catalog, runtime: HotlistRuntime) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.catalog = catalog
    app.state.hotlist = runtime
    app.state.policy = PolicySource(catalog, check_every=0)
    install_error_handlers(app)
    app.include_router(hotlists.router)
    app.include_router(alerts.router)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def supervisor(catalog: Catalog) -> tuple[int, dict[str, str]]:
    agency = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    user = catalog.add_user(agency.id, "sam", PASSWORD, ["supervisor"])
    return agency.id, {"Authorization": f"Bearer {catalog.issue_token(user)}"}


def test_a_refused_file_names_its_bad_rows_and_details_the_first_thousand(
    client: TestClient, supervisor: tuple[int, dict[str, str]]
) -> None:
    """"the whole file is refused and nothing changes (`on_error=refuse` …; the API
    answers 422 `import_refused`, its message giving the number of bad rows and the first,
    and one detail per bad line for the first 1,000)"."""
    _, headers = supervisor
    text = "plate,priority\n" + "".join(f"{unique_plate()},99\n" for _ in range(1001))
    response = client.post("/v1/hotlists/import", headers=headers,
                           files={"file": ("bad.csv", text.encode(), "text/csv")},
                           data={"name": "bad", "category": "warrant", "on_error": "refuse"})
    assert response.status_code == 422
    assert client.get("/v1/hotlists", headers=headers).json() == []
    error = response.json()["error"]
    assert error["code"] == "import_refused"
    assert "1001 bad row(s); line 2:" in error["message"]
    details = error["details"]
    assert len(details) == 1000 and details[0]["field"] == "line 2"
    assert details[-1]["field"] == "line 1001"


def test_one_entry_is_added_expired_at_once_by_default_and_removed(
    client: TestClient, supervisor: tuple[int, dict[str, str]], runtime: HotlistRuntime
) -> None:
    """"`POST /v1/hotlists/{list_id}/entries` … adds a plate, `…/expire` (`{"at":
    "<ISO-8601>"}`, default now) makes it stop matching, and `DELETE …` removes it"."""
    agency, headers = supervisor
    plate = unique_plate()
    made = client.post("/v1/hotlists", headers=headers, json={
        "name": "one", "category": "warrant", "entries": []})  # fmt: skip
    list_id = made.json()["list_id"]
    added = client.post(f"/v1/hotlists/{list_id}/entries", headers=headers,
                        json={"plate": plate, "region": "CA", "reason": "warrant 24-3",
                              "case_number": "24-3", "expires": "2099-01-01", "priority": 4,
                              "category": "wanted_person"})  # fmt: skip
    assert added.status_code == 201, added.text
    entry = added.json()
    assert (entry["plate"], entry["category"], entry["priority"]) == (plate, "wanted_person", 4)
    read = make_read(plate, owner=agency)
    assert len(runtime.index.match_reads([read])) == 1
    before = datetime.now(UTC)
    expired = client.post(f"/v1/hotlists/{list_id}/entries/{entry['id']}/expire",
                          headers=headers, json={})  # fmt: skip
    assert expired.status_code == 200, expired.text
    at = datetime.fromisoformat(expired.json()["expires_at"])
    assert before - timedelta(seconds=1) <= at <= datetime.now(UTC) + timedelta(seconds=1)
    assert runtime.index.match_reads([read]) == []
    removed = client.delete(f"/v1/hotlists/{list_id}/entries/{entry['id']}", headers=headers)
    assert removed.status_code == 204
    assert client.get(f"/v1/hotlists/{list_id}/entries", headers=headers).json() == []


# -- delivery ---------------------------------------------------------------------------


def test_an_alert_delivery_entry_holds_the_documented_fields(
    service: HitService, hotlists: HotlistStore, audit: AuditLog
) -> None:
    """"one `alert_delivery` entry per allowed hit (hit id, receiving agency, read owner,
    list, category, screened class `list_class`, match kind, read id, policy ids)"."""
    plate = unique_plate()
    report_list = hotlists.import_list(OAKLAND, "own", "local", "stolen_vehicle",
                                       [{"plate": plate}])  # fmt: skip
    read = make_read(plate, owner=OAKLAND)
    [alert] = service.process([read]).alerts
    entry = audit.entry(alert.audit_index or 0).entry
    assert set(entry) == {"type", "v", "time", "log_index", "hit_id", "agency",
                          "owner_agency", "list_id", "category", "list_class", "match_kind",
                          "read_id", "policy_ids"}  # fmt: skip
    assert (entry["type"], entry["hit_id"], entry["agency"], entry["owner_agency"],
            entry["list_id"], entry["category"], entry["list_class"], entry["match_kind"],
            entry["read_id"]) == (
        "alert_delivery", alert.hit_id, "oakland-pd", "oakland-pd", report_list.list_id,
        "stolen_vehicle", "stolen_vehicle", "exact", str(read.read_id))  # fmt: skip


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def test_a_webhook_delivery_names_its_outbox_row_and_signs_with_a_timestamp(
    service: HitService, hotlists: HotlistStore, webhooks: WebhookOutbox, receiver: Receiver
) -> None:
    """"`X-Plateledger-Delivery: <outbox id>` … and `X-Plateledger-Signature: t=<unix
    seconds>,v1=<hex>`"; "one webhook outbox row per active subscription of the list
    owner" (a paused one gets none)."""
    webhooks.subscribe(OAKLAND, receiver.url, secret=SECRET)
    paused, _ = webhooks.subscribe(OAKLAND, receiver.url + "/paused", secret=SECRET)
    webhooks.set_active(OAKLAND, paused.id, False)
    plate = unique_plate()
    hotlists.import_list(OAKLAND, "own", "local", "stolen_vehicle", [{"plate": plate}])
    service.process([make_read(plate, owner=OAKLAND)])
    [item] = webhooks.items(OAKLAND)
    assert item.subscription_id != paused.id
    assert webhooks.deliver_due().delivered == 1
    [(headers, body)] = receiver.received
    assert headers["X-Plateledger-Delivery"] == str(item.id)
    found = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", headers["X-Plateledger-Signature"])
    assert found is not None
    assert abs(int(found.group(1)) - datetime.now(UTC).timestamp()) < 60
    assert json.loads(body)["read"]["plate"] == plate


def documented_verify() -> Callable[..., bool]:
    """The `verify` function of the doc's "Verifying a signature" section, as printed."""
    section = DOC.split("### Verifying a signature", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/hotlists.md", "exec"), namespace)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def test_the_documented_verify_accepts_the_servers_signatures() -> None:
    """"`v1` is HMAC-SHA256, keyed with the secret, over the timestamp, a dot, and the
    exact bytes of the body" — the doc's `verify` checks what the server signs."""
    verify = documented_verify()
    body = b'{"hit_id": "1", "read": {"plate": "7ABC123"}}'
    header = signature_header(SECRET, body)
    assert verify(SECRET, header, body)
    assert not verify(SECRET, header, body + b" ")
    assert not verify("another-secret-entirely", header, body)
    old = signature_header(SECRET, body, timestamp=int(datetime.now(UTC).timestamp()) - 301)
    assert not verify(SECRET, old, body)


def test_the_benchmark_table_is_the_recorded_results() -> None:
    """"Measured with `python -m bench.hotlist_bench` (results in
    `bench/results/hotlist.json` …)": the table's figures are the recorded ones."""
    runs = json.loads((ROOT / "bench" / "results" / "hotlist.json").read_text())["runs"]
    for label, run in (("spread", runs["uniform"]), ("dense", runs["dense"])):
        [row] = [line for line in DOC.splitlines() if line.startswith(f"| {label} (")]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert run["entries"] == 1_000_000 and run["batch"] == 10_000 and run["batches"] == 30
        assert cells[1] == f"{int(run['reads_per_s_median']):,}"
        assert cells[2] == f"{run['hits_found'] / (run['batch'] * run['batches']):.2f}"
        assert cells[3] == f"{run['index_build_s']:.1f} s"


# -- the command line ---------------------------------------------------------------------


def test_the_command_line_refuses_appends_and_lists(live_server: LiveServer,
                                                     tmp_path: Path) -> None:  # fmt: skip
    """"`plateledger hotlist import … --source … --refuse`", "`--append` adds instead",
    "`plateledger hotlist list`"."""
    token = live_server.token("ucpd.admin")
    name = f"docs-{unique_plate().lower()}"
    common = ["--name", name, "--category", "stolen_vehicle", "--url", live_server.url,
              "--token", token]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"plate,priority\n{unique_plate()},1\n{unique_plate()},12\n")
    refused = CliRunner().invoke(cli, ["hotlist", "import", str(bad), *common, "--refuse"])
    assert refused.exit_code == 1, refused.output
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(f"plate\n{unique_plate()}\n")
    second.write_text(f"plate\n{unique_plate()}\n")
    for path, extra in ((first, []), (second, ["--append", "--source", "NCIC 2024-06-01"])):
        result = CliRunner().invoke(cli, ["hotlist", "import", str(path), *common, *extra])
        assert result.exit_code == 0, result.output
        assert "1 of 1 rows imported" in result.output
    listed = CliRunner().invoke(cli, ["hotlist", "list", "--url", live_server.url,
                                      "--token", token])  # fmt: skip
    assert listed.exit_code == 0, listed.output
    [mine] = [h for h in httpx.get(f"{live_server.url}/v1/hotlists", timeout=30,
                                   headers={"Authorization": f"Bearer {token}"}).json()
              if h["name"] == name]  # fmt: skip
    assert (mine["entry_count"], mine["source"]) == (2, "NCIC 2024-06-01")
    assert str(mine["id"]) in listed.output


def test_the_hit_retention_is_a_setting_of_the_server(
    tmp_path: Path, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """"kept for the hit retention, 365 days unless `PLATELEDGER_HIT_RETENTION_DAYS` says
    otherwise"."""
    monkeypatch.setenv("PLATELEDGER_HIT_RETENTION_DAYS", "90")
    settings = Settings(data_dir=tmp_path / "data", store_path=store_path, secret_key="k" * 32)
    assert settings.hit_retention_days == 90
    with TestClient(create_app(settings)) as client:
        state: Any = client.app.state  # type: ignore[attr-defined]
        assert state.hotlist.hits.retention == timedelta(days=90)
    monkeypatch.delenv("PLATELEDGER_HIT_RETENTION_DAYS")
    assert Settings(secret_key="k" * 32).hit_retention_days == 365
