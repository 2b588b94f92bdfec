"""`GET /ledger`: the auditors' page behind the audit token (bearer header or the form's cookie),
with the head, the latest checkpoints and a verification status that is resumed, not redone."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from ledger_app.helpers import Fill, ledger_leaves
from sqlalchemy import text

from app.auditors import add_auditor, revoke_auditor
from app.checkpoints import checkpoint_now
from app.ledger_keys import signing_key
from app.main import Services
from ledger.merkle_reference import naive_root


def _text(html: str) -> str:
    """The page's text, tags dropped and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def _checkpoint(services: Services) -> None:
    async with services.sessions() as session, session.begin():
        await checkpoint_now(session, signing_key(services.settings))


async def test_without_a_token_the_page_asks_for_one(
    client: httpx.AsyncClient, services: Services
) -> None:
    response = await client.get("/ledger")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["www-authenticate"] == 'Bearer realm="maestro-ledger"'
    assert '<form class="card" method="post" action="/ledger">' in response.text
    assert 'type="password" id="token" name="token"' in response.text


async def test_unknown_revoked_and_scopeless_tokens_are_refused(
    client: httpx.AsyncClient, services: Services, token: str
) -> None:
    async with services.sessions() as session, session.begin():
        scopeless = await add_auditor(session, "bob", [])
    for bad in (token + "x", "mae_audit_" + "y" * 43):
        response = await client.get("/ledger", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401 and "unknown or revoked" in response.text
    response = await client.get("/ledger", headers={"Authorization": f"Bearer {scopeless}"})
    assert response.status_code == 403 and "lacks the audit scope" in response.text
    response = await client.post("/ledger", data={"token": scopeless})
    assert response.status_code == 403 and "set-cookie" not in response.headers
    response = await client.post("/ledger", data={"token": "nope"})
    assert response.status_code == 401 and "unknown or revoked" in response.text
    async with services.sessions() as session, session.begin():
        await revoke_auditor(session, "alice")
    response = await client.get("/ledger", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_the_form_sets_a_strict_httponly_cookie_and_the_page_shows_the_ledger(
    client: httpx.AsyncClient,
    services: Services,
    fill: Fill,
    token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await fill(6)  # 7 entries with the auditor's
    await _checkpoint(services)
    await fill(2)
    await _checkpoint(services)
    login = await client.post("/ledger", data={"token": token})
    assert login.status_code == 303 and login.headers["location"] == "/ledger"
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"maestro_audit={token};")
    for flag in ("HttpOnly", "Path=/ledger", "SameSite=strict", "Max-Age=28800"):
        assert flag in cookie, cookie
    assert "Secure" not in cookie  # plain HTTP here; set over HTTPS

    page = await client.get("/ledger")  # the client sends the cookie back
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    shown = _text(page.text)
    leaves = await ledger_leaves(services.sessions)
    async with services.sessions() as session:
        head = await session.scalar(text("SELECT entry_hash FROM ledger_entries WHERE seq = 8"))
    assert "Log size 9 entries" in shown
    assert f"Head hash {head}" in shown
    assert f"Root {naive_root(leaves).hex()}" in shown
    assert "Verification: OK" in shown
    assert "9 entries verified (0 with purged payloads); 1 checkpoint(s) match" in shown
    assert "Verified entries 0..8 (9)" in shown
    assert "9 new entries read" in shown
    assert "Latest checkpoint size 9: root matches the entries" in shown
    rows = re.findall(r"<tr><td>(\d+)</td>.*?</tr>", page.text, re.S)
    assert rows == ["9", "7"]
    assert shown.count("OK matches") == 2
    assert "<polyline points=" in page.text
    assert token not in page.text
    assert all(token not in record.getMessage() for record in caplog.records)

    logout = await client.post("/ledger/logout")
    assert logout.status_code == 303 and "maestro_audit=" in logout.headers["set-cookie"]
    assert (await client.get("/ledger")).status_code == 401


async def test_later_views_verify_only_new_entries_and_full_reverifies(
    client: httpx.AsyncClient, services: Services, fill: Fill, auth: dict[str, str]
) -> None:
    await fill(5)
    first = _text((await client.get("/ledger", headers=auth)).text)
    assert "Verification: OK" in first and "6 new entries read" in first
    await fill(3)
    second = _text((await client.get("/ledger", headers=auth)).text)
    assert "Verified entries 0..8 (9)" in second and "3 new entries read" in second

    # An old row edited after it was verified: the incremental check does not read it again…
    async with services.sessions() as session, session.begin():
        await session.execute(text("UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 2"))
    third = _text((await client.get("/ledger", headers=auth)).text)
    assert "Verification: OK" in third and "0 new entries read" in third
    # …a full pass does, and names it.
    full = _text((await client.get("/ledger?full=1", headers=auth)).text)
    assert "Verification: FAILED" in full
    assert "First bad entry: 2 (entry_hash_mismatch)" in full
    assert "Verified entries 0..1 (2)" in full


async def test_new_tampering_and_a_forged_checkpoint_show_on_the_next_view(
    client: httpx.AsyncClient, services: Services, fill: Fill, auth: dict[str, str]
) -> None:
    await fill(4)
    await _checkpoint(services)
    assert "Verification: OK" in _text((await client.get("/ledger", headers=auth)).text)
    await fill(3)
    async with services.sessions() as session, session.begin():
        await session.execute(text("UPDATE ledger_entries SET payload = '{}' WHERE seq = 6"))
        await session.execute(
            text("UPDATE ledger_checkpoints SET note = replace(note, '\n5\n', '\n6\n')")
        )
    shown = _text((await client.get("/ledger", headers=auth)).text)
    assert "Verification: FAILED" in shown
    assert "First bad entry: 6 (payload_hash_mismatch)" in shown
    assert "invalid: " in shown  # the forged checkpoint's signature
