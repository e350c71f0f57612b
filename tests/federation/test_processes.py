"""Four nodes, four `plateledger serve` processes, real HTTP between them.

Each node has its own data directory (catalog, read store, audit log, node key) and port:

- ``hayward``: Hayward PD, a California city;
- ``alameda``: the Alameda County Sheriff, its county;
- ``reno``: Reno PD, in Nevada;
- ``federal``: ICE ERO San Francisco, a federal unit.

Every node's catalog holds the four agencies with their class and home state; each
registers the three others, for their agency, with the command line (``plateledger node
key`` on one side, ``plateledger node add`` on the other). Hayward shares with its county
under an agreement; nobody else shares.

The nodes start once for the module; the last test stops one of them for good.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from plateledger.access.federated import SEARCH_PATH
from plateledger.audit import AuditLog, verify_checkpoint, verify_inclusion
from plateledger.catalog import open_catalog
from plateledger.catalog.approvals import set_search_rules
from plateledger.catalog.passwords import FAST
from plateledger.cli.main import app
from plateledger.federation import NodeKey, sign_request
from plateledger.settings import Settings
from tests.conftest import _free_port, _wait_ready
from tests.federation.test_searches import body
from tests.web.harness import Browser, chromium_missing

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
NO_FEDERAL = "ca-civ-1798.90.55b-no-federal"
AGENCIES = {  # node: (agency name, slug, class, home state)
    "hayward": ("Hayward PD", "hpd", "municipal", "CA"),
    "alameda": ("Alameda County Sheriff's Office", "acso", "county", "CA"),
    "reno": ("Reno PD", "rpd", "municipal", "NV"),
    "federal": ("ICE ERO San Francisco", "ice-ero-sf", "federal", "CA"),
}
CALIFORNIA = ("hayward", "alameda")
TIMEOUT_SECONDS = 30
"""How long a search waits for its partners: long, so that a node busy on a loaded machine
is not taken for a stopped one (a stopped node is found out by its connection, not by
this wait)."""

cli = CliRunner()


@dataclass
class Node:
    name: str
    data_dir: Path
    port: int
    camera_key: str = ""
    process: subprocess.Popen[bytes] | None = None
    ids: dict[str, int] = field(default_factory=dict)
    """agency slug → id in this node's catalog"""
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def slug(self) -> str:
        return AGENCIES[self.name][1]

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, require_totp=False)

    def token(self, role: str) -> str:
        username = f"{self.slug}.{role}"
        if username not in self.tokens:
            response = httpx.post(
                f"{self.url}/v1/auth/token",
                json={"username": username, "password": PASSWORD},
                timeout=60,
            )
            assert response.status_code == 200, response.text
            self.tokens[username] = str(response.json()["access_token"])
        return self.tokens[username]

    def plant(self, plate: str) -> None:
        read = {
            "camera_id": f"{self.slug}-1",
            "ts": int(time.time() * 1000) - 60_000,
            "plate": plate,
            "confidence": 0.9,
            "region": "CA",
        }
        posted = httpx.post(
            f"{self.url}/v1/reads", json=[read], headers={"X-API-Key": self.camera_key}, timeout=60
        )
        assert posted.status_code == 200 and not posted.json()["errors"], posted.text

    def search(self, plate: str) -> dict[str, Any]:
        payload = {
            "kind": "exact",
            "params": {"plate": plate},
            "purpose": "stolen_vehicle",
            "offense_type": "240",
            "case_number": "AC-2026-0042",
            "reason": "stolen white pickup seen leaving the lot",
        }
        response = httpx.post(
            f"{self.url}/v1/searches",
            json=payload,
            headers={"Authorization": f"Bearer {self.token('investigator')}"},
            timeout=TIMEOUT_SECONDS + 60,
        )
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    def audit_entry(self, index: int) -> dict[str, Any]:
        """Entry ``index`` of this node's log, as this node's auditor is served it."""
        response = httpx.get(
            f"{self.url}/v1/audit/entries/{index}",
            params={"full": "true"},
            headers={"Authorization": f"Bearer {self.token('auditor')}"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        item: dict[str, Any] = response.json()
        return item

    def logged(self, kind: str) -> list[tuple[int, dict[str, Any]]]:
        """Every entry of ``kind`` in this node's log, read from its catalog database."""
        catalog = open_catalog(self.settings, password_hasher=FAST)
        try:
            log = AuditLog(catalog.engine, signer=None)
            return [
                (r.index, r.entry) for r in log.entries(0, log.size()) if r.entry["type"] == kind
            ]
        finally:
            catalog.close()

    def searches_under(self, search_id: str) -> list[int]:
        """The indexes of this node's ``search`` entries made under ``search_id``."""
        return [i for i, e in self.logged("search") if e["query"].get("search_id") == search_id]


def proven_entry(url: str, index: int) -> dict[str, Any]:
    """Entry ``index`` of the log at ``url`` as anyone reads it, without a token: its public
    summary, once its leaf is proven included under the log's signed checkpoint."""
    key = httpx.get(f"{url}/v1/audit/key", timeout=60).text.strip()
    checkpoint = verify_checkpoint(httpx.get(f"{url}/v1/audit/checkpoint", timeout=60).text, key)
    item = httpx.get(f"{url}/v1/audit/entries/{index}", timeout=60).json()
    proof = httpx.get(
        f"{url}/v1/audit/proof/inclusion",
        params={"index": index, "size": checkpoint.size},
        timeout=60,
    ).json()
    leaf = base64.b64decode(item["leaf_hash"])
    assert base64.b64decode(proof["leaf_hash"]) == leaf
    verify_inclusion(
        index, checkpoint.size, leaf, [base64.b64decode(h) for h in proof["proof"]],
        checkpoint.root_hash,
    )  # fmt: skip
    summary: dict[str, Any] = item["summary"]
    return summary


def new_plate(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:5].upper().replace("0", "A").replace("O", "B")


def spawn(node: Node) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PLATELEDGER_REQUIRE_TOTP": "false",
        "PLATELEDGER_INGEST_BATCH_SECONDS": "0.2",
        "PLATELEDGER_FEDERATION_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
    }
    with (node.data_dir / "server.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "plateledger.cli.main", "serve", "--data-dir",
             str(node.data_dir), "--port", str(node.port)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip


def seed(node: Node) -> None:
    """This node's catalog: the four agencies (its own first), its users and camera, and
    Hayward's agreement with its county."""
    catalog = open_catalog(node.settings, password_hasher=FAST)
    try:
        order = [node.name, *(n for n in AGENCIES if n != node.name)]
        for name in order:
            title, slug, kind, state = AGENCIES[name]
            node.ids[slug] = catalog.add_agency(title, slug, kind, state).id
        own = node.ids[node.slug]
        catalog.add_user(own, f"{node.slug}.investigator", PASSWORD, ["investigator"])
        catalog.add_user(own, f"{node.slug}.auditor", PASSWORD, ["auditor"])
        catalog.add_camera(f"{node.slug}-1", own, lat=37.6, lon=-122.0)
        node.camera_key = catalog.issue_api_key(own, label="camera")
        if node.name == "hayward":
            catalog.add_agreement(
                own,
                node.ids["acso"],
                actions=["search"],
                purposes=["stolen_vehicle"],
                created_by="hpd.admin",
            )
    finally:
        catalog.close()


def run_cli(*args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def exchange_keys(nodes: dict[str, Node]) -> None:
    """Each node prints its key (`node key`); every other node registers it (`node add`)."""
    keys = {}
    for node in nodes.values():
        shown = run_cli("node", "key", "--data-dir", str(node.data_dir))
        keys[node.name] = next(
            line.split()[-1] for line in shown.splitlines() if line.startswith("public key:")
        )
    for node in nodes.values():
        for other in nodes.values():
            if other.name != node.name:
                run_cli(
                    "node", "add", other.name, "--url", other.url, "--key", keys[other.name],
                    "--agency", other.slug, "--data-dir", str(node.data_dir),
                )  # fmt: skip


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    found = {
        name: Node(name, tmp_path_factory.mktemp(f"node-{name}"), _free_port()) for name in AGENCIES
    }
    for node in found.values():
        seed(node)
    exchange_keys(found)
    try:
        for node in found.values():
            node.process = spawn(node)
        for node in found.values():
            assert node.process is not None
            _wait_ready(node.url, node.process)
        yield found
    finally:
        for node in found.values():
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in found.values():
            if node.process is not None:
                node.process.wait(timeout=60)


def remote(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["agency"]: o for o in page["remote_owners"]}


def asked(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["node"]: n for n in entry["nodes"]}


def test_the_federal_units_search_is_refused_by_each_california_node_and_logged_on_both_sides(
    nodes: dict[str, Node],
) -> None:
    plate = new_plate("7F")
    for name in ("hayward", "alameda", "reno"):
        nodes[name].plant(plate)
    federal = nodes["federal"]
    page = federal.search(plate)
    owners = remote(page)
    for name in CALIFORNIA:
        slug = nodes[name].slug
        assert owners[slug]["node"] == name
        assert owners[slug]["status"] == "denied", owners[slug]
        assert NO_FEDERAL in owners[slug]["policy_ids"]
        assert owners[slug]["returned"] == 0
    assert page["results"] == [] and page["total"] == 0
    assert plate not in json.dumps(page["remote_owners"])
    # The federal node's own fan-out entry: the UUID, and each California node's entry.
    fanned = federal.audit_entry(page["federation_audit_index"])
    assert fanned["view"] == "full"
    record = fanned["entry"]
    assert record["type"] == "federated_search" and record["search_id"] == page["search_id"]
    assert record["search_audit_index"] == page["audit_index"]
    for name in CALIFORNIA:
        node = nodes[name]
        mine = asked(record)[name]
        assert mine["outcome"] == "answered"
        assert mine["owners_denied"] == [
            {"agency": node.slug, "policy_ids": owners[node.slug]["policy_ids"]}
        ]
        index = mine["audit_index"]
        assert index == owners[node.slug]["audit_index"]
        # The California node's auditor reads the refusal in its own log, at that index:
        # who tried, for what, and the rule that refused it, never the plate.
        theirs = node.audit_entry(index)
        assert theirs["view"] == "denied"
        seen = theirs["entry"]
        assert seen["type"] == "search"
        assert (seen["user"], seen["agency"]) == ("ice-ero-sf.investigator@federal", "ice-ero-sf")
        assert NO_FEDERAL in seen["denied"]["policy_ids"]
        assert "query" not in seen
        # ... but the search UUID and the requesting node, so that it joins the two logs
        assert (seen["search_id"], seen["requesting_node"]) == (page["search_id"], "federal")
        assert seen["requesting_audit_index"] == record["search_audit_index"]
        assert plate not in json.dumps(theirs)
        # The entry itself carries the federal unit's search UUID and its leaf index.
        assert node.searches_under(page["search_id"]) == [index]
        # Anyone, the federal unit included, can prove that entry is in the California
        # node's log under its signed checkpoint, and read who asked and who refused.
        public = proven_entry(node.url, index)
        assert public["type"] == "search" and "ice-ero-sf" in public["agencies"]
        assert (public["denied"], public["released"], public["result_count"]) == (
            [node.slug],
            [],
            0,
        )
        entry = dict(node.logged("search"))[index]
        assert entry["requesting_node"] == "federal"
        assert entry["requesting_audit_index"] == page["audit_index"]
        assert entry["result_count"] == 0


def test_the_county_searching_its_city_gets_the_citys_reads(nodes: dict[str, Node]) -> None:
    plate = new_plate("7C")
    nodes["hayward"].plant(plate)
    nodes["alameda"].plant(plate)
    county, city = nodes["alameda"], nodes["hayward"]
    page = county.search(plate)
    hayward = remote(page)["hpd"]
    assert (hayward["node"], hayward["status"], hayward["returned"]) == ("hayward", "allowed", 1)
    by_owner = {r["owner_id"]: r["plate"] for r in page["results"]}
    assert by_owner == {county.ids["hpd"]: plate, county.ids["acso"]: plate}
    # The city's auditor reads the entry as the owner whose reads were released to the
    # county: the search itself, with the city's own part of it.
    theirs = city.audit_entry(hayward["audit_index"])
    assert theirs["view"] == "owner"
    entry = theirs["entry"]
    assert entry["query"]["search_id"] == page["search_id"]
    assert entry["query"]["plate"] == plate
    assert entry["requesting_node"] == "alameda"
    assert entry["requesting_audit_index"] == page["audit_index"]
    assert entry["owners_allowed"] == ["hpd"] and entry["result_count"] == 1
    # The city can prove that the county logged the search first, at the index it sent.
    asker = proven_entry(county.url, entry["requesting_audit_index"])
    assert asker["type"] == "search" and asker["agencies"] == ["acso"]
    assert asker["purpose"] == "stolen_vehicle"
    mine = county.audit_entry(page["federation_audit_index"])["entry"]
    assert mine["search_id"] == page["search_id"]
    assert asked(mine)["hayward"]["audit_index"] == hayward["audit_index"]
    assert asked(mine)["hayward"]["owners_allowed"] == ["hpd"]


def search_in_browser(node: Node, plate: str, profile: Path) -> str:
    """Sign in to ``node``'s search page as its investigator in headless Chromium, search
    ``plate`` and return the owners list as the page shows it."""
    if chromium_missing():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    browser = Browser(profile)
    try:
        browser.goto(f"{node.url}/login")
        browser.evaluate(
            "(() => { const f = document.getElementById('login-form');"
            f" f.username.value = {json.dumps(node.slug + '.investigator')};"
            f" f.password.value = {json.dumps(PASSWORD)}; f.requestSubmit(); }})()"
        )
        browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
        browser.wait_for("document.getElementById('offense_type').dataset.loaded === 'true'")
        browser.evaluate(
            "(() => { const f = document.getElementById('search-form');"
            f" f.plate.value = {json.dumps(plate)}; f.purpose.value = 'stolen_vehicle';"
            " f.offense_type.value = '240'; f.case_number.value = 'AC-2026-0042';"
            " f.reason.value = 'stolen white pickup seen leaving the lot';"
            " f.requestSubmit(); })()"
        )
        browser.wait_for("!document.getElementById('results').hidden", timeout=120)
        return str(browser.evaluate("document.getElementById('owners').innerText"))
    finally:
        browser.close()


def test_the_search_page_lists_each_partners_owner_as_its_node_decided(
    nodes: dict[str, Node], tmp_path: Path
) -> None:
    plate = new_plate("7W")
    nodes["hayward"].plant(plate)
    shown = search_in_browser(nodes["alameda"], plate, tmp_path / "county")
    assert "Hayward PD (node hayward): searched — 1 read in this page" in shown, shown
    refused = search_in_browser(nodes["federal"], plate, tmp_path / "federal")
    assert f"Hayward PD (node hayward): denied by {NO_FEDERAL}" in refused, refused
    assert "(node alameda): denied by" in refused, refused
    assert "(node hayward): searched" not in refused
    assert "(node alameda): searched" not in refused
    assert plate not in refused


def test_a_replayed_signed_request_is_refused(nodes: dict[str, Node]) -> None:
    """The county's node key signs one request; the same bytes sent again are refused
    before anything is looked up or logged."""
    city, county = nodes["hayward"], nodes["alameda"]
    plate = new_plate("7P")
    city.plant(plate)
    payload = body(plate, agency="acso")
    url = f"{city.url}{SEARCH_PATH}"
    raw = json.dumps(payload).encode()
    headers = sign_request(
        NodeKey.load_or_create(county.data_dir), "POST", url, raw, created=int(time.time())
    )
    first = httpx.post(url, content=raw, headers=headers, timeout=60)
    again = httpx.post(url, content=raw, headers=headers, timeout=60)
    assert first.status_code == 200, first.text
    assert [r["plate"] for r in first.json()["results"]] == [plate]
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "replayed_request"
    assert plate not in again.text
    assert len(city.searches_under(payload["search_id"])) == 1


def test_a_revoked_nodes_search_is_refused_by_the_owner(nodes: dict[str, Node]) -> None:
    """Hayward revokes Reno's key (`plateledger node revoke`, while Hayward's node runs):
    Reno's next search is refused there, and Reno's log records the refusal."""
    city, reno = nodes["hayward"], nodes["reno"]
    run_cli("node", "revoke", "reno", "--data-dir", str(city.data_dir))
    plate = new_plate("7V")
    city.plant(plate)
    page = reno.search(plate)
    hayward = remote(page)["hpd"]
    assert (hayward["status"], hayward["code"]) == ("unavailable", "node_revoked")
    assert hayward["returned"] == 0 and page["results"] == []
    record = reno.audit_entry(page["federation_audit_index"])["entry"]
    assert (asked(record)["hayward"]["outcome"], asked(record)["hayward"]["code"]) == (
        "refused",
        "node_revoked",
    )
    assert asked(record)["alameda"]["outcome"] == "answered"
    assert city.searches_under(page["search_id"]) == []
    assert len(nodes["alameda"].searches_under(page["search_id"])) == 1


def _request_waiting(port: int) -> bool:
    """Whether a connection to ``port`` holds bytes its server has not read (a request sent
    to a stopped process), from the kernel's table of TCP sockets."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            state = fields[3]
            unread = int(fields[4].split(":")[1], 16)
            if local_port == port and state == "01" and unread > 0:
                return True
    return False


def test_the_workspace_asks_the_county_supervisor_when_the_citys_rule_makes_a_locate_wait(
    nodes: dict[str, Node], tmp_path: Path
) -> None:
    """Hayward has every pattern of life of its data approved by a supervisor. The county's
    investigator's locate, in the county node's workspace, shows that Hayward makes it
    wait and the approval asked on the county's node; the county's supervisor approves;
    run again from the workspace, Hayward answers and its camera is in the pattern."""
    if chromium_missing():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    hayward, alameda = nodes["hayward"], nodes["alameda"]
    plate = new_plate("7A")
    hayward.plant(plate)
    catalog = open_catalog(alameda.settings, password_hasher=FAST)
    try:
        catalog.add_user(alameda.ids["acso"], "acso.supervisor", PASSWORD, ["supervisor"])
    finally:
        catalog.close()
    now = datetime.now(UTC).replace(microsecond=0)
    values = {
        "plate": plate,
        "basis_kind": "warrant",
        "basis_number": "AC-W-0042",
        "basis_court": "Alameda County Superior Court",
        "purpose": "stolen_vehicle",
        "offense_type": "240",
        "case_number": "AC-2026-0042",
        "reason": "stolen white pickup seen leaving the lot",
        "since": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        "until": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    settled = (
        "(() => { const s = window.plateledgerWorkspace.state();"
        " return s && (s.kind === 'locate' && s.page || s.error) ? s : null; })()"
    )
    browser = Browser(tmp_path / "profile")
    try:
        with approvals_required(hayward):
            browser.goto(f"{alameda.url}/login")
            token = json.dumps(alameda.token("investigator"))
            browser.evaluate(f"sessionStorage.setItem('plateledger.token', {token})")
            browser.goto(f"{alameda.url}/workspace")
            browser.wait_for("document.getElementById('offense_type').options.length > 1")
            browser.evaluate("document.querySelector('input[name=kind][value=locate]').click()")
            browser.evaluate(
                "(() => { const f = document.getElementById('ws-form');"
                f" for (const [k, v] of Object.entries({json.dumps(values)})) f[k].value = v;"
                " f.requestSubmit(); })()"
            )
            first = browser.wait_for(settled, timeout=120)
            assert "error" not in first, first
            approval_id = first["page"]["approval"]["id"]
            assert remote(first["page"])["hpd"]["code"] == "approval_required"
            text = browser.evaluate("document.getElementById('approval-text').textContent")
            assert "Part of the pattern-of-life search" in text and approval_id in text, text
            because = browser.evaluate("document.getElementById('approval-because').textContent")
            assert "`hpd` at node `hayward`" in because, because

            decided = httpx.post(
                f"{alameda.url}/v1/approvals/{approval_id}/approve",
                json={"note": "warrant AC-W-0042 checked"},
                headers={"Authorization": f"Bearer {alameda.token('supervisor')}"},
                timeout=60,
            )
            assert decided.status_code == 200, decided.text
            browser.evaluate("document.getElementById('approval-check').click()")
            browser.wait_for(
                "document.getElementById('locate-approval').dataset.status === 'approved'"
            )
            browser.evaluate("document.getElementById('approval-run').click()")
            earlier = json.dumps(first["page"]["search_id"])
            second = browser.wait_for(
                f"(() => {{ const s = {settled};"
                f" return s && s.page && s.page.search_id !== {earlier} ? s : null; }})()",
                timeout=120,
            )
    finally:
        browser.close()
    page = second["page"]
    assert remote(page)["hpd"]["status"] == "allowed"
    assert "hpd-1" in {p["camera_id"] for p in page["pattern"]["places"]}
    [theirs] = [
        e for i, e in hayward.logged("search") if e["query"].get("search_id") == page["search_id"]
    ]
    assert theirs["query"]["approved_by"] == "acso.supervisor@alameda"


@contextmanager
def approvals_required(node: Node) -> Iterator[None]:
    """``node``'s own agency has every pattern of life of its data approved by a
    supervisor, for the time of the block."""
    catalog = open_catalog(node.settings, password_hasher=FAST)
    try:
        def rule(on: bool) -> None:
            with catalog.engine.begin() as conn:
                set_search_rules(
                    conn, node.ids[node.slug], case_number_pattern=None,
                    locate_approval_required=on, now=datetime.now(UTC),
                )  # fmt: skip

        rule(True)
        try:
            yield
        finally:
            rule(False)
    finally:
        catalog.close()


def test_a_node_killed_mid_search_leaves_a_partial_answer_and_one_entry_a_side(
    nodes: dict[str, Node],
) -> None:
    """Reno's node stops answering (SIGSTOP) and is killed (SIGKILL) while the county's
    search waits on it: the answer comes back with Reno unavailable and the others'
    results; nothing is retried, so each node that answered logged the search once, and
    Reno's log holds nothing of it."""
    county, city, reno = nodes["alameda"], nodes["hayward"], nodes["reno"]
    plate = new_plate("7K")
    for node in (city, county, reno):
        node.plant(plate)
    assert reno.process is not None
    reno.process.send_signal(signal.SIGSTOP)
    answer: dict[str, Any] = {}
    searching = threading.Thread(target=lambda: answer.update(county.search(plate)))
    searching.start()
    try:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while not _request_waiting(reno.port):
            assert searching.is_alive() and time.monotonic() < deadline, "the request never came"
            time.sleep(0.05)
    finally:
        reno.process.kill()
        reno.process.wait(timeout=60)
        searching.join(timeout=TIMEOUT_SECONDS + 60)
    assert not searching.is_alive()
    page = answer
    owners = remote(page)
    assert owners["rpd"]["status"] == "unavailable"
    assert owners["rpd"]["code"] in {"unreachable", "timeout"}
    assert owners["hpd"]["status"] == "allowed" and owners["hpd"]["returned"] == 1
    assert owners["ice-ero-sf"]["status"] in {"allowed", "denied"}
    assert {r["owner_id"] for r in page["results"]} == {county.ids["acso"], county.ids["hpd"]}
    fanned = [
        e for _, e in county.logged("federated_search") if e["search_id"] == page["search_id"]
    ]
    assert len(fanned) == 1
    record = asked(fanned[0])
    assert record["reno"]["outcome"] == "unavailable" and record["reno"]["audit_index"] is None
    assert record["hayward"]["audit_index"] == owners["hpd"]["audit_index"]
    assert city.searches_under(page["search_id"]) == [owners["hpd"]["audit_index"]]
    assert len(nodes["federal"].searches_under(page["search_id"])) == 1
    assert reno.searches_under(page["search_id"]) == []
    # Reno's log, cut off mid-search, still verifies.
    verified = cli.invoke(app, ["audit", "verify", "--data-dir", str(reno.data_dir)])
    assert verified.exit_code == 0, verified.output

