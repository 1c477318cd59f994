"""POST /v1.0/me/calendar/getSchedule: free/busy of up to 20 mailboxes over at most 62 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, post

from . import zones
from .auth import READ, authenticate
from .context import sandbox_of
from .errors import bad_request
from .query import view_zone
from .responses import graph, read_json, respond

MAX_SCHEDULES = 20
MAX_RANGE = timedelta(days=62)
# availabilityView digits and which status wins when several events share an interval
DIGITS = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4", "unknown": "0"}
RANK = {"free": 0, "unknown": 0, "workingElsewhere": 1, "tentative": 2, "busy": 3, "oof": 4}
ALLOWED = {"schedules", "startTime", "endTime", "availabilityViewInterval"}


def _moment(value: Any, name: str) -> Any:
    if not isinstance(value, dict) or set(value) - {"dateTime", "timeZone"}:
        raise bad_request(f"'{name}' must be a dateTimeTimeZone.", code="RequestBodyRead")
    return zones.to_instant(zones.parse_local(value.get("dateTime"), name), zones.resolve(value.get("timeZone", "")))


@post(["/v1.0/me/calendar/getSchedule", "/v1.0/me/calendar/getschedule"], opt=graph("calendar.getSchedule"))
async def get_schedule(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    authenticate(sb, request, READ)
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) - ALLOWED:
        unknown = sorted(set(body) - ALLOWED) if isinstance(body, dict) else []
        raise bad_request(
            f"The parameter '{unknown[0] if unknown else body}' is not supported.", code="RequestBodyRead"
        )
    schedules = body.get("schedules")
    if not isinstance(schedules, list) or not schedules or not all(isinstance(s, str) for s in schedules):
        raise bad_request("schedules must be a non-empty list of SMTP addresses.", code="ErrorInvalidParameter")
    if len(schedules) > MAX_SCHEDULES:
        raise bad_request(f"At most {MAX_SCHEDULES} schedules can be requested at once.", code="ErrorInvalidParameter")
    start, end = _moment(body.get("startTime"), "startTime"), _moment(body.get("endTime"), "endTime")
    if end <= start:
        raise bad_request("The end time must be after the start time.", code="ErrorInvalidParameter")
    if end - start > MAX_RANGE:
        raise bad_request("The requested time duration specified is too long. The maximum duration allowed is 62 "
                          "days.", code="ErrorInvalidParameter")  # fmt: skip
    interval = body.get("availabilityViewInterval", 30)
    if not isinstance(interval, int) or isinstance(interval, bool) or not 5 <= interval <= 1440:
        raise bad_request("availabilityViewInterval must be between 5 and 1440 minutes.", code="ErrorInvalidParameter")
    zone = view_zone(request)
    step = timedelta(minutes=interval)
    slots = max(1, -(-int((end - start).total_seconds()) // int(step.total_seconds())))
    value = []
    for address in schedules:
        account = sb.store.account(address)
        if account is None:
            value.append({"scheduleId": address, "availabilityView": "", "scheduleItems": [],
                          "error": {"message": f"The user '{address}' could not be found.",
                                    "responseCode": "UserNotFound"}})  # fmt: skip
            continue
        items, view = [], [0] * slots
        ranks = [0] * slots
        for stored, occ in sb.store.view(sb.store.default_calendar(account.email), start, end):
            timing = occ.timing if occ else stored.timing
            status = {**stored.props, **(occ.props if occ else {})}["showAs"]
            if RANK.get(status, 0) == 0:
                continue
            first = max(0, int((timing.start - start) / step))
            last = min(slots, -(-int((timing.end - start).total_seconds()) // int(step.total_seconds())))
            for slot in range(first, max(first + 1, last)):
                if slot < slots and RANK[status] > ranks[slot]:
                    ranks[slot], view[slot] = RANK[status], int(DIGITS[status])
            rendered_start, rendered_end = timing.render(zone)
            items.append({"isPrivate": stored.props.get("sensitivity") == "private", "status": status,
                          "subject": stored.props.get("subject", ""),
                          "location": (stored.props.get("location") or {}).get("displayName", ""),
                          "isMeeting": bool(stored.props.get("attendees")), "isRecurring": bool(stored.recurrence),
                          "isException": bool(occ and occ.exception), "isReminderSet": stored.props["isReminderOn"],
                          "start": rendered_start, "end": rendered_end})  # fmt: skip
        value.append({
            "scheduleId": account.email, "availabilityView": "".join(str(v) for v in view), "scheduleItems": items,
            "workingHours": {"daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                             "startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000",
                             "timeZone": {"name": sb.settings.seed_time_zone}},
        })  # fmt: skip
    return respond({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)",
                    "value": value})  # fmt: skip


ROUTES = [get_schedule]
