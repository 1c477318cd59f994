"""Item 1: recurring block-outs cannot freeze the server; availability windows are bounded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from dateutil.rrule import rrulestr

from rental.errors import InvalidInput
from rental.recurrence import occurrences, validate_rrule
from rental.tables import AvailabilityBlock
from tests.factories import make_api_token, make_product, make_tenant
from tests.security.conftest import as_client

LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=MINUTELY", "DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("FREQ=HOURLY;INTERVAL=2", "not allowed for block-outs"),
        ("FREQ=SECONDLY", "not allowed for block-outs"),
        ("FREQ=DAILY;BYHOUR=1,2,3", "BYHOUR is not supported"),
        ("FREQ=DAILY;COUNT=3", "use UNTIL instead of COUNT"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never repeats"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=MO", "INTERVAL=1"),
        ("FREQ=MONTHLY;BYDAY=5MO", "from 1 to 4"),
        ("FREQ=WEEKLY;INTERVAL=100000", "INTERVAL"),
    ],
)
def test_only_safe_block_out_rules_are_accepted(rule: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate_rrule(rule)


def test_expansion_starts_at_the_window_and_matches_a_walk_from_dtstart() -> None:
    start = datetime(2016, 1, 31, 20, tzinfo=LA)
    for rule in ("FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR", "FREQ=MONTHLY", "FREQ=YEARLY"):
        window = (datetime(2026, 2, 1, tzinfo=LA), datetime(2026, 12, 1, tzinfo=LA))
        found = [
            s.astimezone(LA).replace(tzinfo=None)
            for s, _ in occurrences(start, start + timedelta(hours=10), rule, LA, *window)
        ]
        walked = rrulestr(rule, dtstart=start.replace(tzinfo=None)).between(
            window[0].replace(tzinfo=None) - timedelta(hours=10), window[1].replace(tzinfo=None), inc=True
        )
        assert found and found == [w for w in walked if w < window[1].replace(tzinfo=None)], rule


def test_a_weekly_rule_from_2016_far_in_the_future_is_a_handful_of_steps() -> None:
    start = datetime(2016, 1, 3, tzinfo=LA)  # a Sunday
    found = list(
        occurrences(
            start,
            start + timedelta(days=1),
            "FREQ=WEEKLY;BYDAY=SU",
            LA,
            datetime(9990, 1, 1, tzinfo=UTC),
            datetime(9990, 2, 1, tzinfo=UTC),
        )
    )
    assert [s.astimezone(LA).weekday() for s, _ in found] == [6] * len(found) and len(found) in (4, 5)


def test_a_stored_minutely_rule_fails_closed_instead_of_expanding() -> None:
    start = datetime(2016, 1, 1, tzinfo=UTC)
    window = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    assert list(occurrences(start, start + timedelta(minutes=1), "FREQ=MINUTELY", LA, *window)) == [window]


async def test_the_api_refuses_minutely_block_outs_with_a_problem(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant, "manager")
    body = {"blocked_from": "2016-01-01T00:00:00Z", "blocked_until": "2016-01-01T00:01:00Z", "rrule": "FREQ=MINUTELY"}
    async with httpx.AsyncClient(base_url=live_server, headers={"Authorization": f"Bearer {token}"}) as client:
        response = await client.post("/api/v1/calendar_availability", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "FREQ=MINUTELY is not allowed" in response.json()["detail"]


async def test_an_all_day_block_rounded_past_the_last_supported_day_is_a_problem_not_a_500(live_server: str) -> None:
    """Found by schemathesis: whole local days moved the end to 2200-01-01, outside the accepted range."""
    tenant = await make_tenant()
    token = await make_api_token(tenant, "manager")
    body = {"blocked_from": "2199-12-30T10:00:00Z", "blocked_until": "2199-12-31T23:30:00-08:00", "all_day": True}
    async with httpx.AsyncClient(base_url=live_server, headers={"Authorization": f"Bearer {token}"}) as client:
        response = await client.post("/api/v1/calendar_availability", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "between 2000 and 2199" in response.json()["detail"]
    assert await AvailabilityBlock.count().where(AvailabilityBlock.company == tenant.id) == 0


async def test_far_future_and_edge_windows_answer_4xx_and_the_server_stays_responsive(live_server: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant)
    # the demo's weekly Sunday closure, starting long ago
    await AvailabilityBlock.insert(
        AvailabilityBlock(
            company=tenant.id,
            blocked_from=datetime(2016, 1, 3, 8, tzinfo=UTC),
            blocked_until=datetime(2016, 1, 4, 8, tzinfo=UTC),
            reason="Sunday",
            rrule="FREQ=WEEKLY;BYDAY=SU",
            source="manual",
        )
    )
    base = f"/public/v1/{tenant.slug}/products/{product}/availability"
    async with httpx.AsyncClient(base_url=live_server, headers=as_client(), timeout=30) as client:
        for first, last in [
            ("9990-01-01", "9990-01-31"),
            ("0001-01-01", "0001-01-31"),
            ("9999-12-31", None),
            ("9999-12-01", "9999-12-31"),
            ("2020-01-01", "2022-01-01"),
        ]:
            params = {"from": first, **({"to": last} if last else {})}
            response = await client.get(base, params=params)
            assert response.status_code == 422, (params, response.text)
            assert response.json()["detail"], params
        today = date.today()
        ok = await client.get(base, params={"from": today.isoformat(), "to": (today + timedelta(days=60)).isoformat()})
        assert ok.status_code == 200
        assert any(d["status"] == "closed" for d in ok.json()["days"])
        assert (await client.get("/health")).status_code == 200
