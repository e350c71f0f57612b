"""Legal holds stay with their own agency: its supervisors and admins list, place and
release them; another agency's admin is answered as if they did not exist."""

from __future__ import annotations

from tests.api.test_scoping_between_agencies import CASE, World, _ucpd_hold, world  # noqa: F401


def test_an_agencys_own_admin_lists_and_releases_its_holds(world: World) -> None:  # noqa: F811
    w = world
    hold_id = _ucpd_hold(w)["hold_id"]
    listed = w.get("ucpd-admin", "/v1/retention/holds").json()["holds"]
    assert [h["hold_id"] for h in listed] == [hold_id] and listed[0]["case_number"] == CASE
    assert w.get("fpd-admin", "/v1/retention/holds").json()["holds"] == []
    absent = w.post("fpd-admin", "/v1/retention/holds/no-such-hold/release", {"reason": "x"})
    other = w.post("fpd-admin", f"/v1/retention/holds/{hold_id}/release", {"reason": "x"})
    assert other.status_code == absent.status_code == 404
    assert other.json()["error"]["code"] == absent.json()["error"]["code"]
    assert hold_id in other.json()["error"]["message"]  # the id it was given, nothing more
    released = w.post("ucpd-admin", f"/v1/retention/holds/{hold_id}/release",
                      {"reason": "case closed"})
    assert released.status_code == 200, released.text


def test_a_hold_on_another_agencys_reads_is_refused_with_a_reason(
    world: World,  # noqa: F811
) -> None:
    w = world
    refused = w.post("fpd-admin", "/v1/retention/holds", {
        "case_number": "F-1", "reason": "order", "plates": ["7UCSEEN"],
        "owner_agency": w.ids["ucpd"], "expires_at": "2099-01-01T00:00:00Z"})
    assert refused.status_code == 403
    assert "your own agency" in refused.json()["error"]["message"]
