"""/docs and /redoc work air-gapped: every asset comes from the package, none from a CDN."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plateledger.api.app import create_app
from plateledger.settings import Settings
from tests.web.harness import CHROMIUM, CHROMIUM_FLAGS, NO_CHROMIUM, WebServer, chromium_missing

VENDOR = Path(__file__).parents[2] / "src/plateledger/web/static/vendor"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path, store_path=tmp_path / "s",
                                          secret_key="k" * 32)))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_name_no_other_host(client: TestClient, page: str) -> None:
    html = client.get(page).text
    assert "cdn.jsdelivr.net" not in html and "fonts.googleapis" not in html
    urls = re.findall(r'(?:src|href|url)\s*[=:]\s*[\'"]([^\'"]+)[\'"]', html)
    assert urls, html
    assert all(u.startswith("/") for u in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_vendored_files_carry_their_licences() -> None:
    assert "Apache License" in (VENDOR / "swagger-ui" / "LICENSE").read_text()
    assert "MIT License" in (VENDOR / "redoc" / "LICENSE").read_text()


def test_docs_render_the_operations_with_only_localhost_reachable(
    web_server: WebServer, tmp_path: Path
) -> None:
    if chromium_missing():
        pytest.skip(NO_CHROMIUM)
    offline = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
    for page, marker in (("/docs", 'class="opblock-summary-path"'),
                         ("/redoc", "/v1/searches")):
        done = subprocess.run(
            [str(CHROMIUM), *CHROMIUM_FLAGS, offline,
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000",
             "--dump-dom", f"{web_server.url}{page}"],
            capture_output=True, text=True, timeout=120, check=True,
        )
        assert marker in done.stdout, page
