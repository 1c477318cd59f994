"""Status sets are defined once (rental.statuses): no module spells one out again, so the feeds, the
provider pushes, reminders, invitations, busy checks and the schedule can never disagree on them."""

from __future__ import annotations

import re

import pytest

from rental import statuses
from tests.support.services import ROOT

STATUS = "|".join(statuses.BOOKING_STATUSES)
# a tuple, list or SQL IN list of two or more statuses
SPELLED_SET = re.compile(rf"[(\[]\s*['\"]({STATUS})['\"]\s*,\s*['\"]({STATUS})['\"]")
PACKAGES = ("rentcal", "rental", "calendars", "portal", "widget", "tasks")
# Literal types must be spelled out for the type checker; these are the typed copies, checked below.
TYPED_COPIES = {"rental/schemas.py", "calendars/colors.py"}


def _spells_a_set(line: str) -> bool:
    """Two different statuses in a row, except an audit entry's (old, new) pair."""
    return any(
        match.group(1) != match.group(2) and not line[: match.start()].rstrip().endswith('"status":')
        for match in SPELLED_SET.finditer(line)
    )


def test_no_module_spells_out_a_status_set() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in TYPED_COPIES and path.name != "statuses.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _spells_a_set(line) and "seed" not in path.name
    ]
    assert found == [], "use the sets of rental/statuses.py:\n" + "\n".join(found)


def test_the_typed_copies_agree_with_the_sets() -> None:
    from typing import get_args

    from calendars.colors import STATUSES
    from rental.schemas import BookingStatus

    assert get_args(BookingStatus) == statuses.BOOKING_STATUSES
    assert STATUSES == (*statuses.SHOWN_IN_CALENDARS, "cancelled")


def test_sql_lists_come_from_known_statuses_only() -> None:
    assert statuses.sql_list(statuses.ACTIVE) == "('pending', 'confirmed', 'picked_up')"
    with pytest.raises(ValueError, match="not booking statuses"):
        statuses.sql_list(("pending', 'x",))


def test_the_sets_nest_as_the_rules_say() -> None:
    assert set(statuses.ACTIVE) < set(statuses.SHOWN_IN_CALENDARS) <= set(statuses.BOOKING_STATUSES)
    assert set(statuses.CONFIRMED_AHEAD) <= set(statuses.ACTIVE)
    assert not set(statuses.FINISHED) & set(statuses.ACTIVE)
