"""The page shells and their assets, over HTTP: what each page holds, and that nothing
is fetched from outside the server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from plateledger.api import create_app
from plateledger.audit import Checkpoint, NoteSigner
from plateledger.policy.purpose import Purpose
from plateledger.settings import Settings
from plateledger.web import STATIC_DIR, install
from plateledger.web.context import parse_checkpoint
from tests.web.harness import WebServer

PAGES = {
    "/": ["Sign in", 'href="/transparency"', 'href="/audit"', 'href="/login"'],
    "/login": ['id="login-form"', 'for="username"', 'for="password"', 'for="totp"',
               'autocomplete="one-time-code"', 'role="alert"', "/static/login.js"],
    "/search": ['id="search-form"', 'name="kind" value="wildcard"', 'id="purpose"',
                'id="case_number"', 'id="reason"', "recorded in the audit log",
                'id="requested_by"', 'id="export-csv"', 'id="export-geojson"',
                'id="prev"', 'id="next"', 'id="progress"', "/static/search.js"],
    "/transparency": ['id="cp-size"', 'id="cp-root"', "plateledger audit verify",
                      'id="entries-table"', 'id="purpose-counts"', 'id="owner-counts"',
                      'id="withheld-counts"', "Released data", "/static/transparency.js"],
    "/audit": ['id="entries-table"', 'id="detail"', 'id="jump"', 'id="alarm-list"',
               "/static/audit.js"],
    "/approvals": ['id="pending-table"', 'id="mine-table"', 'role="alert"',
                   "recorded in the audit log", "/static/approvals.js"],
}

# An asset reference: a script or stylesheet, a CSS url(), or a JavaScript import.
ASSET_REFERENCE = re.compile(
    r"""<script[^>]*\ssrc="([^"]+)"|<link[^>]*\shref="([^"]+)"|url\(\s*['"]?([^'")]+)"""
    r"""|\bimport\b[^'"]*['"]([^'"]+)['"]|\bfetch\(\s*['"`]([^'"`]+)"""
)
LINK = re.compile(r"""<a\s[^>]*href="https?://[^"]+"[^>]*>""")


def _assets(text: str) -> list[str]:
    return [next(g for g in match.groups() if g) for match in ASSET_REFERENCE.finditer(text)]


@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_page_renders_with_its_parts(web_server: WebServer, path: str) -> None:
    response = httpx.get(f"{web_server.url}{path}", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for part in PAGES[path]:
        assert part in response.text, f"{path} lacks {part}"


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_load_assets_only_from_this_server(web_server: WebServer, path: str) -> None:
    html = httpx.get(f"{web_server.url}{path}", timeout=30).text
    for asset in _assets(html):
        assert asset.startswith(("/static/", "data:")), f"{path} loads {asset}"
    # The only absolute URLs a page may hold are links to documentation.
    without_links = LINK.sub("", html)
    assert "http://" not in without_links and "https://" not in without_links


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_forbid_foreign_scripts_and_styles(web_server: WebServer, path: str) -> None:
    response = httpx.get(f"{web_server.url}{path}", timeout=30)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_static_files_name_no_outside_address() -> None:
    files = [p for p in STATIC_DIR.iterdir() if p.suffix in {".js", ".css"}]
    assert {p.name for p in files} >= {"site.css", "api.js", "search.js", "login.js"}
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, file.name
        assert "//cdn" not in text and "@import" not in text, file.name


def test_every_asset_a_page_or_module_names_is_served(web_server: WebServer) -> None:
    url = web_server.url
    wanted = {a for path in PAGES for a in _assets(httpx.get(f"{url}{path}", timeout=30).text)}
    for module in STATIC_DIR.glob("*.js"):
        for asset in _assets(module.read_text(encoding="utf-8")):
            if asset.startswith("./"):
                wanted.add(f"/static/{asset.removeprefix('./')}")
    served = {a for a in wanted if a.startswith("/static/")}
    assert "/static/site.css" in served and "/static/entries.js" in served
    for asset in served:
        response = httpx.get(f"{url}{asset}", timeout=30)
        assert response.status_code == 200, asset
        kind = "text/css" if asset.endswith(".css") else "javascript"
        assert kind in response.headers["content-type"], asset


def test_transparency_renders_the_signed_checkpoint_on_the_server(web_server: WebServer) -> None:
    url = web_server.url
    note = httpx.get(f"{url}/v1/audit/checkpoint", timeout=30).text
    origin, size, root = note.splitlines()[:3]
    html = httpx.get(f"{url}/transparency", timeout=30).text
    assert f'<dd id="cp-size">{size}</dd>' in html
    assert f'<code id="cp-root">{root}</code>' in html
    assert f'<dd id="cp-origin">{origin}</dd>' in html
    assert int(size) >= 1  # the fixture's administrator changed a user


def test_search_page_offers_exactly_the_closed_list_of_purposes(web_server: WebServer) -> None:
    html = httpx.get(f"{web_server.url}/search", timeout=30).text
    offered = re.findall(r'<option value="([a-z_]+)">', html.split('id="purpose"')[1]
                         .split("</select>")[0])
    assert offered == [p.value for p in Purpose]
    assert "immigration" not in offered


def test_search_page_offers_the_catalog_agencies_to_search_for(web_server: WebServer) -> None:
    html = httpx.get(f"{web_server.url}/search", timeout=30).text
    assert '<option value="rpd">Reno PD</option>' in html
    assert '"slug": "ucpd"' in html  # the id → name list the results table uses


def test_pages_render_before_the_catalog_and_log_are_open(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    install(app)
    client = TestClient(app)  # no lifespan: nothing is open
    for path in PAGES:
        assert client.get(path).status_code == 200
    html = client.get("/transparency").text
    assert 'id="cp-missing"' in html and 'id="cp-size"' not in html


def test_install_adds_the_pages_once(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    install(app)
    routes = len(app.router.routes)
    install(app)
    assert len(app.router.routes) == routes
    assert TestClient(app).get("/static/site.css").status_code == 200
    assert "/search" not in app.openapi()["paths"]


def test_parse_checkpoint_splits_a_signed_note() -> None:
    signer = NoteSigner.generate("example.org/log")
    checkpoint = Checkpoint("example.org/log", 7, bytes(range(32)))
    view = parse_checkpoint(signer.sign(checkpoint.text()))
    assert (view.origin, view.size) == ("example.org/log", 7)
    assert view.root_hash == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    assert len(view.signatures) == 1 and view.signatures[0].startswith("— example.org/log ")


def test_every_page_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "web.md").read_text(encoding="utf-8")
    for path in PAGES:
        assert f"| `{path}` |" in docs, path
