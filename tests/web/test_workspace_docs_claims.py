"""Claims of docs/web.md about the bearer token, held in headless Chromium against a real
server: "Sign out" revokes the token on the server, and a 401 from the API makes the page
forget the token it holds."""

from __future__ import annotations

import json

import httpx

from tests.web.harness import Browser, WebServer

TOKEN = "plateledger.token"


def _stored(browser: Browser) -> object:
    return browser.evaluate(f"sessionStorage.getItem({json.dumps(TOKEN)})")


def test_sign_out_revokes_the_token_and_a_401_makes_a_page_forget_it(
    web_server: WebServer, browser: Browser
) -> None:
    """web.md: "'Sign out' calls `POST /v1/auth/logout`, which revokes the token on the
    server" and "A `401` from the API forgets it". Attack: the revoked token, copied
    before signing out, is put back in the tab and used again."""
    token = web_server.token("ucpd.investigator")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{web_server.url}/v1/me", headers=headers, timeout=30).status_code == 200
    browser.goto(f"{web_server.url}/")
    browser.evaluate(f"sessionStorage.setItem({json.dumps(TOKEN)}, {json.dumps(token)})")
    browser.goto(f"{web_server.url}/cases")
    browser.wait_for("!document.getElementById('signed-in').hidden")
    browser.evaluate("document.getElementById('sign-out').click()")
    browser.wait_for("location.pathname === '/' && document.readyState === 'complete'")
    assert _stored(browser) is None
    assert httpx.get(f"{web_server.url}/v1/me", headers=headers, timeout=30).status_code == 401

    browser.evaluate(f"sessionStorage.setItem({json.dumps(TOKEN)}, {json.dumps(token)})")
    browser.goto(f"{web_server.url}/cases")
    browser.wait_for(f"sessionStorage.getItem({json.dumps(TOKEN)}) === null")
    assert browser.evaluate("document.getElementById('signed-in').hidden") is True
