"""Issue 10: block-outs in subscription feeds (all-day ones as DATE values), the all-day flag through the
API, UTC UNTIL in block-out rules, and a new feed revision for every maintenance or delivery change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from icalendar import Calendar

from calendars.feeds import subscriptions
from rental import blocks, schedules
from rental.accounts import Staff, staff_by_id
from rental.schemas import BlockCreate, DeliveryCreate, DeliveryUpdate, MaintenanceCreate, MaintenanceUpdate
from rental.tables import Booking, Delivery, MaintenanceSchedule
from rental.tenants import Tenant
from tests.factories import make_api_token, make_product, make_staff, make_tenant
from tests.ical_integration.helpers import LA, quiet_booking

CHRISTMAS = datetime(2026, 12, 24, tzinfo=LA)


async def member(tenant: Tenant, role: str) -> Staff:
    found = await staff_by_id((await make_staff(tenant, role))[0])
    assert found is not None
    return found


async def feed(tenant: Tenant, owner: Staff, kind: str) -> dict[str, Any]:
    link = await subscriptions.create_subscription(tenant, owner, kind)
    answer = await subscriptions.answer(link.https.rsplit("/", 1)[1].removesuffix(".ics"), None, None)
    assert answer is not None and answer.status == 200
    calendar = Calendar.from_ical(answer.body)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")} | {"_body": answer.body}


async def test_closures_and_vacations_appear_in_the_right_feeds() -> None:
    tenant = await make_tenant()
    manager, tech, colleague = [await member(tenant, r) for r in ("manager", "technician", "technician")]
    _, units = await make_product(tenant, units=1)

    async def block(start: datetime, end: datetime, reason: str, **extra: Any) -> None:
        await blocks.create_block(
            tenant, BlockCreate(blocked_from=start, blocked_until=end, reason=reason, confirm=True, **extra)
        )

    await block(CHRISTMAS, CHRISTMAS + timedelta(days=2), "Christmas")  # all-day: local midnights
    sunday = datetime(2026, 12, 6, tzinfo=LA)
    await block(sunday, sunday + timedelta(days=1), "Closed on Sundays", rrule="FREQ=WEEKLY;BYDAY=SU")
    meeting = datetime(2026, 12, 9, 12, tzinfo=LA)
    await block(meeting, meeting + timedelta(hours=2), "Staff meeting")  # timed
    await block(
        datetime(2026, 12, 14, tzinfo=LA), datetime(2026, 12, 19, tzinfo=LA), "Tina's vacation", staff_id=tech.id
    )
    await block(
        datetime(2026, 12, 14, tzinfo=LA), datetime(2026, 12, 15, tzinfo=LA), "Other's leave", staff_id=colleague.id
    )
    await block(meeting, meeting + timedelta(days=1), "Engine repair", unit_id=units[0], blocks="equipment")

    company = await feed(tenant, manager, "company")
    christmas = company["Christmas"]
    assert b"DTSTART;VALUE=DATE:20261224\r\n" in company["_body"]
    assert (christmas["DTSTART"].dt, christmas["DTEND"].dt) == (date(2026, 12, 24), date(2026, 12, 26))
    assert company["Staff meeting"]["DTSTART"].dt == meeting  # timed blocks stay DATE-TIME
    assert company["Staff meeting"]["DTSTART"].params["TZID"] == "America/Los_Angeles"
    sundays = [
        e for e in Calendar.from_ical(company["_body"]).walk("VEVENT") if str(e["SUMMARY"]) == "Closed on Sundays"
    ]
    assert sundays[0]["DTSTART"].dt == date(2026, 12, 6) and sundays[1]["DTSTART"].dt == date(2026, 12, 13)
    assert len({str(e["UID"]) for e in sundays}) == len(sundays) > 50  # one a week over the feed's window
    assert "Tina's vacation" not in company and "Other's leave" not in company  # private to each person
    assert "Engine repair" not in company  # unit downtime is not a closure

    own = await feed(tenant, tech, "assignments")
    assert {"Christmas", "Staff meeting", "Tina's vacation"} <= set(own) and "Other's leave" not in own
    assert (own["Tina's vacation"]["DTSTART"].dt, own["Tina's vacation"]["DTEND"].dt) == (
        date(2026, 12, 14),
        date(2026, 12, 19),
    )


async def test_the_api_takes_the_all_day_flag_and_a_utc_until(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    async with httpx.AsyncClient(base_url=live_server, headers={"Authorization": f"Bearer {token}"}) as client:
        made = await client.post(
            "/api/v1/calendar_availability",
            json={
                "blocked_from": "2026-12-24T10:00:00-08:00",
                "blocked_until": "2026-12-25T15:00:00-08:00",
                "reason": "Christmas",
                "all_day": True,
            },
        )
        assert made.status_code == 201, made.text
        saved = made.json()
        assert saved["all_day"] is True
        # whole local days: from the first day's midnight to the midnight after the last day
        assert datetime.fromisoformat(saved["blocked_from"]) == CHRISTMAS
        assert datetime.fromisoformat(saved["blocked_until"]) == CHRISTMAS + timedelta(days=2)

        # Google, Outlook and Apple write UNTIL in UTC when DTSTART has a zone (RFC 5545 3.3.10)
        weekly = await client.post(
            "/api/v1/calendar_availability",
            json={
                "blocked_from": "2027-01-04T12:00:00-08:00",
                "blocked_until": "2027-01-04T13:00:00-08:00",
                "reason": "Inventory",
                "rrule": "FREQ=WEEKLY;UNTIL=20270118T200000Z",
            },
        )
        assert weekly.status_code == 201, weekly.text
        assert weekly.json()["all_day"] is False and weekly.json()["rrule"] == "FREQ=WEEKLY;UNTIL=20270118T200000Z"
        bad = await client.post(
            "/api/v1/calendar_availability",
            json={
                "blocked_from": "2027-01-04T12:00:00-08:00",
                "blocked_until": "2027-01-04T13:00:00-08:00",
                "rrule": "FREQ=WEEKLY;UNTIL=2027-01-18Z",
            },
        )
        assert bad.status_code == 422 and "UNTIL" in bad.json()["detail"], bad.text


async def test_maintenance_and_delivery_changes_are_new_feed_revisions() -> None:
    tenant = await make_tenant()
    manager = await member(tenant, "manager")
    product, units = await make_product(tenant, units=2)
    start = datetime(2027, 2, 1, 9, tzinfo=LA)
    booking = await quiet_booking(tenant, product, units[0], start, start + timedelta(days=2))
    service = await schedules.create_maintenance(
        tenant, MaintenanceCreate(unit_id=units[1], starts_at=start, ends_at=start + timedelta(hours=4))
    )
    drop = await schedules.create_delivery(
        tenant,
        DeliveryCreate(
            booking_id=booking.id,
            kind="delivery",
            starts_at=start - timedelta(hours=2),
            ends_at=start,
            address="1 Site Rd",
        ),
    )

    def stamps(event: Any) -> tuple[datetime, datetime, int]:
        return event["DTSTAMP"].dt, event["LAST-MODIFIED"].dt, int(event["SEQUENCE"])

    # made an hour ago, so the change lands in a later second
    earlier = datetime.now(UTC) - timedelta(hours=1)
    await MaintenanceSchedule.update({MaintenanceSchedule.updated_at: earlier}).where(
        MaintenanceSchedule.id == service.id
    )
    await Delivery.update({Delivery.updated_at: earlier}).where(Delivery.id == drop.id)
    await Booking.update({Booking.updated_at: earlier}).where(Booking.id == booking.id)
    maintenance = {str(e["UID"]): e for e in _events(await feed(tenant, manager, "maintenance"))}
    deliveries = {str(e["UID"]): e for e in _events(await feed(tenant, manager, "deliveries"))}
    [m_before] = maintenance.values()
    [d_before] = deliveries.values()

    await schedules.update_maintenance(tenant, service.id, MaintenanceUpdate(description="Oil and filters"))
    await schedules.update_delivery(tenant, drop.id, DeliveryUpdate(address="2 Site Rd"))

    [m_after] = _events(await feed(tenant, manager, "maintenance"))
    [d_after] = _events(await feed(tenant, manager, "deliveries"))
    for before, after in ((m_before, m_after), (d_before, d_after)):
        old, new = stamps(before), stamps(after)
        assert new[2] == old[2] + 1
        assert new[0] > old[0] and new[1] > old[1] and new[0] == new[1]
        assert new[0] <= datetime.now(UTC)


def _events(found: dict[str, Any]) -> list[Any]:
    return [event for key, event in found.items() if key != "_body"]
