"""Pure parts of the widget: month grid, locales, options, form tokens, block-out windows."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.web.blocks import block_window
from rental.daystatus import DayStatus
from rental.errors import InvalidInput
from rental.handover import CLOSED_REASON
from rental.recurrence import occurrences
from widget import i18n, tokens
from widget.calendar import build_month, parse_month
from widget.http import matches, strong_etag
from widget.options import DEFAULT_ACCENT, parse_options

LA = ZoneInfo("America/Los_Angeles")


def month_of(first: date, status: str = "available") -> list[DayStatus]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [DayStatus(first + timedelta(days=i), status, 1, 1) for i in range((following - first).days)]


@pytest.mark.parametrize(("first_day", "lead"), [(0, 1), (1, 0)])
def test_month_grid_starts_on_sunday_or_monday(first_day: int, lead: int) -> None:
    first = date(2027, 3, 1)  # a Monday
    month = build_month(first, month_of(first), date(2027, 3, 10), "en", first_day)
    cells = [c for week in month.weeks for c in week]
    assert all(len(week) == 7 for week in month.weeks) and len(cells) % 7 == 0
    assert cells[:lead] == [None] * lead and cells[lead] is not None and cells[lead].day == first
    assert [c.day.day for c in cells if c is not None] == list(range(1, 32))
    assert [c.past for c in cells if c is not None].count(True) == 9
    assert month.title == "March 2027" and month.key == "2027-03"
    assert month.prev is None and month.next == date(2027, 4, 1)  # no going back before this month
    later = build_month(date(2027, 4, 1), month_of(date(2027, 4, 1)), date(2027, 3, 10), "en", 0)
    assert later.prev == date(2027, 3, 1)


def test_day_labels_say_date_and_status_in_both_languages() -> None:
    first = date(2027, 12, 1)
    days = month_of(first)
    days[23] = DayStatus(date(2027, 12, 24), "closed", 0, 1, "Christmas")
    days[1] = DayStatus(date(2027, 12, 2), "partial", 0, 2)
    en = [c for w in build_month(first, days, first, "en", 0).weeks for c in w if c]
    de = [c for w in build_month(first, days, first, "de", 1).weeks for c in w if c]
    assert en[23].label == "Friday, December 24, 2027, closed: Christmas" and en[23].disabled
    assert de[23].label == "Freitag, 24. Dezember 2027, geschlossen: Christmas"
    assert en[1].label == "Thursday, December 2, 2027, partly booked (0 of 2 free)" and not en[1].disabled
    assert de[0].label == "Mittwoch, 1. Dezember 2027, verfügbar (1 von 1 frei)"


def test_our_default_closure_word_is_translated_and_the_companys_words_are_kept() -> None:
    first = date(2027, 12, 1)
    days = month_of(first)
    days[4] = DayStatus(date(2027, 12, 5), "closed", 0, 1, CLOSED_REASON)
    days[23] = DayStatus(date(2027, 12, 24), "closed", 0, 1, "Heiligabend")
    de = [c for w in build_month(first, days, first, "de", 1).weeks for c in w if c]
    en = [c for w in build_month(first, days, first, "en", 0).weeks for c in w if c]
    assert (de[4].reason, de[4].label) == ("Geschlossen", "Sonntag, 5. Dezember 2027, geschlossen: Geschlossen")
    assert de[23].reason == "Heiligabend" and en[23].reason == "Heiligabend"
    assert en[4].reason == "Closed"


def test_locale_formats() -> None:
    assert i18n.clock("en", datetime(2027, 1, 1, 0, 5).time()) == "12:05 AM"
    assert i18n.clock("en", datetime(2027, 1, 1, 17, 0).time()) == "5:00 PM"
    assert i18n.clock("de", datetime(2027, 1, 1, 7, 30).time()) == "07:30 Uhr"
    assert i18n.locale_or_default("de-AT") == "de" and i18n.locale_or_default("fr") == "en"
    assert [short for short, _ in i18n.weekday_headers("de", 1)] == ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
    assert set(i18n.STRINGS["en"]) == set(i18n.STRINGS["de"])


@pytest.mark.parametrize("value", ["2027-3", "27-03", "2027-13", "2027-00", "march"])
def test_bad_months_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="month must look like 2027-03"):
        parse_month(value, date(2027, 1, 1))


def test_options_fall_back_to_safe_defaults() -> None:
    options = parse_options("de", "#ffe000", None, "rentcal-1-abc", "https://shop.example:8443")
    assert (options.locale, options.accent, options.first_day) == ("de", "#ffe000", 1)
    assert options.on_accent == "#000000" and parse_options(None, "#001f5c", "0", None, None).on_accent == "#ffffff"
    hostile = parse_options("xx", "red;}</style>", "7", "<script>", "javascript:alert(1)")
    assert (hostile.locale, hostile.accent, hostile.first_day, hostile.widget_id, hostile.host) == (
        "en",
        DEFAULT_ACCENT,
        0,
        "",
        "",
    )
    assert options.query(month="2027-03") == (
        "locale=de&accent=%23ffe000&first_day=1&wid=rentcal-1-abc&host=https%3A%2F%2Fshop.example%3A8443&month=2027-03"
    )


def test_form_tokens_are_bound_to_subject_secret_and_time() -> None:
    token = tokens.issue("s3cret", "widget-request|1|2", now=1_000_000)
    assert tokens.verify("s3cret", "widget-request|1|2", token, now=1_000_000 + 3599)
    assert not tokens.verify("s3cret", "widget-request|1|2", token, now=1_000_000 + 3601)  # expired
    assert not tokens.verify("s3cret", "widget-request|1|3", token, now=1_000_001)  # another product
    assert not tokens.verify("other", "widget-request|1|2", token, now=1_000_001)
    issued, nonce, signature = token.split(".")
    assert not tokens.verify("s3cret", "widget-request|1|2", f"{int(issued) + 1}.{nonce}.{signature}", now=1_000_001)
    assert not tokens.verify("s3cret", "widget-request|1|2", f"{issued}.x{nonce}.{signature}", now=1_000_001)
    # each rendered form gets its own token (they are used once)
    assert tokens.issue("s3cret", "widget-request|1|2", now=1_000_000) != token
    assert not tokens.verify("s3cret", "widget-request|1|2", "garbage", now=1_000_001)
    future = tokens.issue("s3cret", "widget-request|1|2", now=1_000_000 + 3600)
    assert not tokens.verify("s3cret", "widget-request|1|2", future, now=1_000_000)


def test_etags_are_strong_and_if_none_match_compares_weakly() -> None:
    etag = strong_etag(b"{}")
    assert etag == strong_etag(b"{}") != strong_etag(b"[]") and etag.startswith('"')
    assert matches(etag, etag) and matches(f'"x", W/{etag}', etag) and matches("*", etag)
    assert not matches(None, etag) and not matches('"x"', etag)


def test_block_windows_are_local_midnights_across_dst() -> None:
    window = block_window(date(2027, 3, 13), date(2027, 3, 14), "none", [], LA)
    assert window.rrule is None
    assert window.blocked_from.astimezone(UTC) == datetime(2027, 3, 13, 8, tzinfo=UTC)  # PST midnight
    assert window.blocked_until.astimezone(UTC) == datetime(2027, 3, 15, 7, tzinfo=UTC)  # PDT midnight
    yearly = block_window(date(2027, 12, 24), date(2027, 12, 26), "yearly", [], LA)
    assert yearly.rrule == "FREQ=YEARLY" and yearly.blocked_until - yearly.blocked_from == timedelta(days=3)


def test_weekly_block_starts_on_a_chosen_weekday_and_ends_with_to() -> None:
    # from Wednesday 2027-03-10 to Sunday 2027-03-21, Sundays only: across the 03-14 change
    window = block_window(date(2027, 3, 10), date(2027, 3, 21), "weekly", ["SU"], LA)
    assert window.rrule == "FREQ=WEEKLY;BYDAY=SU;UNTIL=20270321T235959"
    assert window.blocked_from == datetime(2027, 3, 14, tzinfo=LA)
    found = list(
        occurrences(
            window.blocked_from,
            window.blocked_until,
            window.rrule,
            LA,
            datetime(2027, 3, 1, tzinfo=UTC),
            datetime(2027, 4, 30, tzinfo=UTC),
        )
    )
    local = [(s.astimezone(LA).replace(tzinfo=None), e.astimezone(LA).replace(tzinfo=None)) for s, e in found]
    assert local == [
        (datetime(2027, 3, 14), datetime(2027, 3, 15)),  # a 23-hour day, still midnight to midnight
        (datetime(2027, 3, 21), datetime(2027, 3, 22)),
    ]
    open_ended = block_window(date(2027, 3, 10), None, "weekly", ["SA", "SU"], LA)
    assert open_ended.rrule == "FREQ=WEEKLY;BYDAY=SA,SU" and open_ended.blocked_from == datetime(2027, 3, 13, tzinfo=LA)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((date(2027, 3, 10), date(2027, 3, 9), "none", []), "'To' must not be before 'From'"),
        ((date(2027, 3, 10), None, "weekly", []), "choose at least one weekday"),
        ((date(2027, 3, 10), date(2027, 3, 12), "weekly", ["SU"]), "none of the chosen weekdays"),
        ((date(2027, 1, 1), date(2027, 12, 31), "yearly", []), "shorter than a year"),
        ((date(2027, 1, 1), None, "monthly", []), "choose how the block repeats"),
    ],
)
def test_block_window_refusals(args: tuple, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput, match=message):
        block_window(*args, LA)
