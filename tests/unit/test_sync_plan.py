"""The pure sync plan: exhaustive properties with hypothesis."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from calendars.providers.base import EventData, RemoteEvent
from calendars.sync.plan import (
    AcceptMove,
    Busy,
    ClearBusy,
    Create,
    Delete,
    FlagDeleted,
    Ignore,
    Mapping,
    Noop,
    PushBack,
    Restore,
    Update,
    event_hash,
    plan_full,
    plan_inbound,
    plan_push,
    shows_content,
)

T0 = datetime(2027, 3, 14, 9, tzinfo=UTC)

events = st.builds(
    lambda summary, hours, length, color: EventData(
        summary=summary,
        starts_at=T0 + timedelta(hours=hours),
        ends_at=T0 + timedelta(hours=hours + length),
        timezone="America/Los_Angeles",
        color=color,
        key="booking:1",
    ),
    st.text(max_size=5),
    st.integers(0, 100),
    st.integers(1, 48),
    st.sampled_from([None, "banana", "basil"]),
)
mappings = st.builds(
    Mapping,
    external_id=st.sampled_from(["a", "b"]),
    etag=st.sampled_from(['"1"', '"2"']),
    generation=st.integers(0, 3),
    pushed_hash=st.sampled_from(["", "x"]),
    pushed_starts_at=st.just(T0),
    pushed_ends_at=st.just(T0 + timedelta(hours=1)),
    state=st.sampled_from(["synced", "deleted", "remote_deleted"]),
)


def apply(action: object, desired: EventData | None, mapping: Mapping | None) -> Mapping | None:
    """What the engine records after executing the action successfully."""
    if isinstance(action, Create | Restore):
        assert desired is not None
        return Mapping(
            f"id{action.generation}",
            '"new"',
            action.generation,
            event_hash(desired),
            desired.starts_at,
            desired.ends_at,
        )
    if isinstance(action, Update):
        assert desired is not None and mapping is not None
        return Mapping(
            mapping.external_id, '"new"', mapping.generation, event_hash(desired), desired.starts_at, desired.ends_at
        )
    if isinstance(action, Delete):
        assert mapping is not None
        return Mapping(
            mapping.external_id,
            mapping.etag,
            mapping.generation,
            mapping.pushed_hash,
            mapping.pushed_starts_at,
            mapping.pushed_ends_at,
            "deleted",
        )
    return mapping


@settings(max_examples=300)
@given(st.one_of(st.none(), events), st.one_of(st.none(), mappings))
def test_push_plan_converges_in_one_step(desired: EventData | None, mapping: Mapping | None) -> None:
    action = plan_push(desired, mapping)
    if desired is not None:
        assert not isinstance(action, Delete)  # something we want is never deleted
    after = apply(action, desired, mapping)
    assert isinstance(plan_push(desired, after), Noop)  # running again changes nothing


@given(st.one_of(st.none(), mappings), events)
def test_ids_of_deleted_events_are_never_reused(mapping: Mapping | None, desired: EventData) -> None:
    action = plan_push(desired, mapping)
    if isinstance(action, Create) and mapping is not None:
        assert action.generation > mapping.generation


def remote(etag: str = '"9"', status: str = "confirmed", hours: int = 0, key: str | None = "booking:1") -> RemoteEvent:
    return RemoteEvent(
        id="a",
        etag=etag,
        status=status,
        starts_at=T0 + timedelta(hours=hours),
        ends_at=T0 + timedelta(hours=hours + 1),
        key=key,
    )


SYNCED = Mapping("a", '"1"', 0, "x", T0, T0 + timedelta(hours=1))


def test_inbound_decisions() -> None:
    kw = {"accept_moves": True, "on_remote_delete": "restore", "read_busy": True}
    assert isinstance(plan_inbound(remote(etag='"1"', hours=5), SYNCED, **kw), Ignore)  # our own echo
    assert plan_inbound(remote(hours=5), SYNCED, **kw) == AcceptMove(T0 + timedelta(hours=5), T0 + timedelta(hours=6))
    assert isinstance(plan_inbound(remote(hours=5), SYNCED, **{**kw, "accept_moves": False}), PushBack)
    assert isinstance(plan_inbound(remote(hours=0), SYNCED, **kw), PushBack)  # same times, other edits: ours win
    assert plan_inbound(remote(status="cancelled"), SYNCED, **kw) == Restore(1)
    assert isinstance(
        plan_inbound(remote(status="cancelled"), SYNCED, **{**kw, "on_remote_delete": "flag"}), FlagDeleted
    )
    assert plan_inbound(remote(key=None), None, **kw) == Busy(T0, T0 + timedelta(hours=1))
    assert isinstance(plan_inbound(remote(key=None, status="cancelled"), None, **kw), ClearBusy)
    assert isinstance(plan_inbound(remote(key=None), None, **{**kw, "read_busy": False}), Ignore)


@given(
    st.dictionaries(st.sampled_from(["booking:1", "booking:2", "maintenance:3"]), st.one_of(st.none(), events)),
    st.dictionaries(st.sampled_from(["booking:1", "booking:2", "maintenance:3"]), mappings),
    st.sampled_from(["restore", "flag"]),
)
def test_an_empty_or_unreadable_remote_never_deletes_what_we_want(desired, current, policy) -> None:  # type: ignore[no-untyped-def]
    for remote_ids in (set(), None):
        plan = plan_full(desired, current, remote_ids, on_remote_delete=policy)
        for key, action in plan.items():
            if desired.get(key) is not None:
                assert not isinstance(action, Delete)
            if remote_ids is None:
                assert action == plan_push(desired.get(key), current.get(key))  # unreadable: no remote verdicts


@given(events, st.text(min_size=1, max_size=8))
def test_only_a_new_etag_is_not_a_content_change(event: EventData, etag: str) -> None:
    remote = RemoteEvent(
        id="e1",
        etag=etag,
        status=event.status,
        summary=event.summary,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        key=event.key,
    )
    assert shows_content(remote, event)
    assert not shows_content(RemoteEvent(id="e1", etag=etag, status="cancelled", key=event.key), event)
    assert not shows_content(
        RemoteEvent(
            id="e1",
            etag=etag,
            status=event.status,
            summary=event.summary + "!",
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            key=event.key,
        ),
        event,
    )
    moved = event.starts_at + timedelta(minutes=15)
    assert not shows_content(
        RemoteEvent(
            id="e1", etag=etag, status=event.status, summary=event.summary, starts_at=moved, ends_at=event.ends_at
        ),
        event,
    )
