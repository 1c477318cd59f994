"""Staff invitations over HTTP on real parts (web server, worker, PostgreSQL, the SMTP sink): a manager invites
by e-mail with a role, the mail's link leads to a page where the person picks a name and password and is logged
in with that role. The link's token is stored hashed, works once, expires, and a new send replaces it."""

from __future__ import annotations

import hashlib
import re

import httpx

from rental.tables import StaffInvitation, StaffUser
from tests.factories import make_staff, make_tenant
from tests.ical_integration.helpers import unique_email
from tests.ical_integration.sink import wait_for_mails
from tests.support.portal import signed_in
from tests.support.worker import WorkerHandle

PAGE = {"accept": "text/html,application/xhtml+xml"}


async def _link(address: str, count: int) -> str:
    """The join link of the `count`-th invitation mail to `address`."""
    mails = await wait_for_mails(address, count)
    body = mails[count - 1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(r"(http://\S+/join/[A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


async def _join(browser: httpx.AsyncClient, link: str, name: str, password: str) -> httpx.Response:
    """Open the link and submit the form with the CSRF token the page came with."""
    await browser.get(link)
    answer = await browser.post(
        link,
        data={"name": name, "password": password, "repeated": password,
              "_csrf_token": browser.cookies.get("csrftoken", "")},
    )  # fmt: skip
    return answer


async def test_invite_mail_accept_and_logged_in_with_that_role(live_server: str, worker_process: WorkerHandle) -> None:
    tenant = await make_tenant(name="Acme Rentals")
    _, manager = await make_staff(tenant, "manager")
    invitee = unique_email("dana")
    async with signed_in(live_server, manager) as client:
        typed = {"email": f" {invitee.upper()} ", "role": "driver"}  # trimmed, lower case
        sent = await client.post("/portal/settings/invitations", data=typed, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/portal/settings#team"
        page = await client.get("/portal/settings")
        assert f"Invitation sent to {invitee}." in page.text
        assert f"Withdraw the invitation to {invitee}" in page.text
        assert f"Invitation sent to {invitee}." not in (await client.get("/portal/settings")).text  # reload: no repeat
        again = await client.post("/portal/settings/invitations", data={"email": invitee, "role": "driver"})
        assert f"Not invited: {invitee} is already invited; send the invitation again from the list" in again.text
        mine = await client.post("/portal/settings/invitations", data={"email": manager, "role": "driver"})
        assert f"Not invited: {manager} is already on your team" in mine.text
        admin = await client.post("/portal/settings/invitations", data={"email": unique_email(), "role": "admin"})
        assert "Not invited: only an admin can invite an admin" in admin.text
    assert await StaffInvitation.count().where(StaffInvitation.company == tenant.id) == 1

    link = await _link(invitee, 1)
    (mail,) = await wait_for_mails(invitee, 1)
    assert mail["Subject"] == "Join Acme Rentals on Rentcal"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "to join Acme Rentals on Rentcal as a driver" in text and "works once" in text
    token = link.rpartition("/")[2]
    stored = await StaffInvitation.select().where(StaffInvitation.email == invitee).first()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    assert token not in repr(stored)

    async with httpx.AsyncClient(timeout=30) as anonymous:
        form = await anonymous.get(link)
        assert form.status_code == 200 and "Join Acme Rentals" in form.text and invitee in form.text
        no_csrf = await anonymous.post(
            link, data={"name": "X", "password": "long-enough-1", "repeated": "long-enough-1"}
        )
        assert no_csrf.status_code == 403
        short = await anonymous.post(link, data={"name": "Dana Driver", "password": "short", "repeated": "short",
                                                 "_csrf_token": anonymous.cookies.get("csrftoken", "")})  # fmt: skip
        assert short.status_code == 422 and "Choose a password of at least 10 characters." in short.text
    assert await StaffUser.count().where(StaffUser.email == invitee) == 0

    async with httpx.AsyncClient(timeout=30) as browser:
        joined = await _join(browser, link, "Dana Driver", "a-long-password")
        assert joined.status_code == 303 and joined.headers["location"] == "/"
        home = await browser.get(f"{live_server}/", headers=PAGE, follow_redirects=True)
        assert home.status_code == 200 and home.url.path == "/portal/my"  # a driver's day
        assert "Dana Driver · driver · Acme Rentals" in home.text
        assert (await browser.get(f"{live_server}/portal/settings", headers=PAGE)).status_code == 403
    person = await StaffUser.select().where(StaffUser.email == invitee).first()
    assert (person["company"], person["role"], person["name"]) == (tenant.id, "driver", "Dana Driver")

    async with httpx.AsyncClient(timeout=30) as other:
        used = await _join(other, link, "Someone Else", "another-password")
        assert used.status_code == 410 and "This invitation was already accepted" in used.text
    assert await StaffUser.count().where(StaffUser.email == invitee) == 1  # single use
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as login:  # the chosen password is hers
        await login.get("/login")
        signed = await login.post("/login", data={"email": invitee, "password": "a-long-password",
                                                  "_csrf_token": login.cookies.get("csrftoken", "")})  # fmt: skip
        assert signed.status_code == 303
    async with signed_in(live_server, manager) as client:
        page = await client.get("/portal/settings")
        assert f"Withdraw the invitation to {invitee}" not in page.text and "Dana Driver" in page.text
        taken = await client.post("/portal/settings/invitations", data={"email": invitee, "role": "driver"})
        assert f"Not invited: {invitee} is already on your team" in taken.text
    other_company = await make_tenant()
    _, other_manager = await make_staff(other_company, "manager")
    async with signed_in(live_server, other_manager) as client:
        elsewhere = await client.post("/portal/settings/invitations", data={"email": invitee, "role": "driver"})
        assert f"{invitee} already has a Rentcal account with another company" in elsewhere.text


async def test_resend_replaces_the_link_and_stale_links_show_a_page(
    live_server: str, worker_process: WorkerHandle
) -> None:
    tenant = await make_tenant(name="Bolt Hire")
    _, manager = await make_staff(tenant, "manager")
    invitee = unique_email("tech")
    async with signed_in(live_server, manager) as client:
        await client.post("/portal/settings/invitations", data={"email": invitee, "role": "technician"})
        first = await _link(invitee, 1)
        invitation = (await StaffInvitation.select(StaffInvitation.id).where(StaffInvitation.email == invitee))[0]["id"]
        resent = await client.post(f"/portal/settings/invitations/{invitation}/resend")
        assert f"Invitation sent again to {invitee}; the earlier link no longer works." in resent.text
        second = await _link(invitee, 2)
        assert second != first
        async with httpx.AsyncClient(timeout=30) as anonymous:
            replaced = await anonymous.get(first)
            assert replaced.status_code == 404 and "This invitation link no longer works" in replaced.text
            assert (await anonymous.get(second)).status_code == 200

            await StaffInvitation.raw(
                "UPDATE staff_invitation SET token_expires_at = now() - interval '1 minute' WHERE id = {}", invitation
            )
            expired = await anonymous.get(second)
            assert expired.status_code == 410 and "This invitation has expired" in expired.text
            late = await _join(anonymous, second, "Terry Tech", "a-long-password")
            assert late.status_code == 410 and "This invitation has expired" in late.text
            assert await StaffUser.count().where(StaffUser.email == invitee) == 0
            page = await client.get("/portal/settings")
            assert "expired" in page.text and f"Send the invitation to {invitee} again" in page.text

            await client.post(f"/portal/settings/invitations/{invitation}/resend")
            third = await _link(invitee, 3)
            assert (await anonymous.get(third)).status_code == 200  # a new send: seven days again
            withdrawn = await client.post(f"/portal/settings/invitations/{invitation}/withdraw")
            assert f"Invitation to {invitee} withdrawn." in withdrawn.text
            gone = await anonymous.get(third)
            assert gone.status_code == 404 and "This invitation link no longer works" in gone.text
            assert await StaffInvitation.count().where(StaffInvitation.id == invitation) == 0
            twice = await client.post(f"/portal/settings/invitations/{invitation}/withdraw")
            assert "Not withdrawn: no such invitation" in twice.text


async def test_drivers_cannot_invite(live_server: str) -> None:
    tenant = await make_tenant()
    _, driver = await make_staff(tenant, "driver")
    async with signed_in(live_server, driver) as client:
        denied = await client.post("/portal/settings/invitations", data={"email": unique_email(), "role": "manager"},
                                   headers=PAGE)  # fmt: skip
        assert denied.status_code == 403
    assert await StaffInvitation.count().where(StaffInvitation.company == tenant.id) == 0
    # a deactivated person is let back in from the team list, not invited again
    _, manager = await make_staff(tenant, "manager")
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.email == driver)
    async with signed_in(live_server, manager) as client:
        again = await client.post("/portal/settings/invitations", data={"email": driver, "role": "driver"})
        assert f"Not invited: {driver} is on your team but cannot sign in; tick “Can sign in”" in again.text
