"""Stamps and the stamped cache: nothing is reused across a change, a reconnection, or while deaf."""

from __future__ import annotations

from rental.changes import Changes, StampedCache


def test_a_stamp_changes_with_its_company_only_and_is_none_while_not_listening() -> None:
    changes = Changes()
    assert changes.company(7) is None and changes.access() is None and changes.anything() is None
    changes.live = True
    seven, eight, access = changes.company(7), changes.company(8), changes.access()
    changes.heard("7")
    assert changes.company(7) != seven and changes.company(8) == eight and changes.access() == access
    changes.heard("auth")
    assert changes.access() != access and changes.company(8) == eight
    changes.heard("*")  # anything unknown makes everything stale
    assert changes.company(8) != eight


def test_the_cache_answers_only_under_the_stamp_it_was_filled_with_and_stays_bounded() -> None:
    cache: StampedCache[str, int] = StampedCache(2)
    cache.put("a", (0, 1), 10)
    assert cache.get("a", (0, 1)) == 10
    assert cache.get("a", (0, 2)) is None and cache.get("a", None) is None
    cache.put("b", None, 20)  # not listening: not kept
    assert cache.peek("b") is None
    cache.put("b", (0, 1), 20)
    cache.put("c", (0, 1), 30)
    assert cache.peek("a") is None and cache.get("c", (0, 1)) == 30
