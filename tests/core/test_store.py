"""Settled slices exactly once: baseline, commits, revisions, gauges."""

from __future__ import annotations

from collector.model import Family, Kind, Point, PointColumns
from collector.store import SeriesBudget, SliceStore

TRAFFIC = Family("t_bytes_total", Kind.COUNTER, "traffic")
BANDWIDTH = Family("b_bytes_per_second", Kind.GAUGE, "bandwidth")
D = ("www.example.com",)


def traffic(end: int, value: float) -> Point:
    return Point(TRAFFIC, D, end, value)


def test_first_poll_is_baseline_and_later_slices_add_once() -> None:
    store = SliceStore(retention=86400)
    store.ingest([traffic(300, 5.0), traffic(600, 7.0), traffic(900, 1.0)], horizon=600)
    assert store.counters[(TRAFFIC, D)] == 0.0  # settled before start-up: not counted
    # 900 was pending; it settles now, and 1200 is new.
    result = store.ingest([traffic(600, 7.0), traffic(900, 2.0), traffic(1200, 3.0)], horizon=1200)
    assert result.committed == 2
    assert store.counters[(TRAFFIC, D)] == 5.0
    # Re-reading the same settled slices adds nothing.
    store.ingest([traffic(900, 2.0), traffic(1200, 3.0)], horizon=1500)
    assert store.counters[(TRAFFIC, D)] == 5.0
    assert store.newest_settled_end == 1200


def test_pending_values_may_change_without_effect() -> None:
    store = SliceStore(retention=86400)
    store.ingest([], horizon=0)
    store.ingest([traffic(300, 1.0)], horizon=100)  # pending: partial value
    store.ingest([traffic(300, 4.0)], horizon=200)  # still pending, revised
    store.ingest([traffic(300, 6.0)], horizon=300)  # settles with the final value
    assert store.counters[(TRAFFIC, D)] == 6.0


def test_revision_after_settlement_is_reported_not_added() -> None:
    store = SliceStore(retention=86400)
    store.ingest([], horizon=0)
    store.ingest([traffic(300, 6.0)], horizon=300)
    result = store.ingest([traffic(300, 6.5)], horizon=600)
    assert store.counters[(TRAFFIC, D)] == 6.0
    assert len(result.revisions) == 1
    assert result.revisions[0].counted == 6.0
    assert result.revisions[0].now_reported == 6.5
    # The same revised value again is not a new revision.
    assert store.ingest([traffic(300, 6.5)], horizon=900).revisions == []


def test_gauge_shows_newest_settled_slice() -> None:
    store = SliceStore(retention=86400)
    points = [Point(BANDWIDTH, D, 300, 10.0), Point(BANDWIDTH, D, 600, 20.0)]
    store.ingest([*points, Point(BANDWIDTH, D, 900, 99.0)], horizon=600)
    assert store.gauges[(BANDWIDTH, D)] == (600, 20.0)
    store.ingest([Point(BANDWIDTH, D, 300, 11.0)], horizon=600)  # older revision
    assert store.gauges[(BANDWIDTH, D)] == (600, 20.0)
    assert sorted(v for _, _, v in store.series()) == [20.0]


def test_old_slice_values_go_but_a_reread_old_slice_is_still_not_counted_twice() -> None:
    store = SliceStore(retention=600)
    store.ingest([], horizon=0)
    store.ingest([traffic(300, 1.0)], horizon=300)
    store.ingest([traffic(1800, 1.0)], horizon=2000)
    # 300's value is gone (outside the re-read window), but the series is counted
    # through 2000: an outage's catch-up reading it again adds nothing.
    assert store.retained_slices() == 1
    store.ingest([traffic(300, 1.0)], horizon=2000)
    assert store.counters[(TRAFFIC, D)] == 2.0


def test_a_catch_up_counts_old_slices_a_failed_call_never_delivered() -> None:
    store = SliceStore(retention=600)
    other = ("img.example.com",)
    store.ingest([], horizon=0)
    store.ingest([traffic(300, 1.0), Point(TRAFFIC, other, 300, 1.0)], horizon=300)
    # `other`'s call fails for a while; D goes on.
    for end in (600, 900, 1200, 1500):
        store.ingest([traffic(end, 1.0)], horizon=end)
    # The catch-up re-reads both from 300: only `other`'s missed slices add.
    catch_up = [Point(TRAFFIC, d, end, 1.0) for d in (D, other) for end in (600, 900, 1200, 1500)]
    store.ingest(catch_up, horizon=1500)
    assert store.counters == {(TRAFFIC, D): 5.0, (TRAFFIC, other): 5.0}


def test_state_stays_bounded_and_an_ingest_in_steps_equals_one_ingest() -> None:
    whole, steps = SliceStore(retention=900), SliceStore(retention=900)
    for store in (whole, steps):
        store.ingest([], horizon=0)
    for end in range(300, 300 * 400, 300):
        points = [Point(TRAFFIC, (f"d{i}",), e, 1.0) for i in range(5) for e in (end - 300, end)]
        whole.ingest(points, horizon=end)
        result = steps.begin(end)
        for k in range(0, len(points), 3):
            steps.add(points[k : k + 3], end, result)
        steps.finish(end)
    assert whole.counters == steps.counters
    assert whole.counters[(TRAFFIC, ("d0",))] == 399.0
    # A day and more of 5-minute slices later, only the re-read window's values stay.
    assert whole.retained_slices() <= 4


def test_series_not_reported_for_n_ingests_expire_and_return_their_budget() -> None:
    budget = SeriesBudget(0)
    store = SliceStore(retention=86400, budget=budget)
    other = ("img.example.com",)
    store.ingest([traffic(300, 1.0), Point(TRAFFIC, other, 300, 1.0)], horizon=300)
    assert budget.used == 2
    for end in (600, 900, 1200):
        store.ingest([traffic(end, 1.0)], horizon=end)  # `other` stopped reporting
    assert store.expire(after_ingests=3) == 1
    assert (TRAFFIC, other) not in store.counters
    assert (TRAFFIC, D) in store.counters
    assert budget.used == 1
    store.forget_all()
    assert budget.used == 0
    assert list(store.series()) == []


def test_caps_refuse_new_series_and_say_why() -> None:
    budget = SeriesBudget(3)
    first = SliceStore(retention=86400, max_series=2, budget=budget)
    points = [Point(TRAFFIC, (f"d{i}",), 300, 1.0) for i in range(3)]
    result = first.ingest(points, horizon=300)
    assert result.dropped == {"endpoint_cap": 1}
    assert {labels for _, labels, _ in first.series()} == {("d0",), ("d1",)}
    second = SliceStore(retention=86400, budget=budget)
    result = second.ingest(
        [Point(BANDWIDTH, ("x",), 300, 1.0), Point(BANDWIDTH, ("y",), 300, 1.0)], horizon=300
    )
    assert result.dropped == {"global_cap": 1}
    # Known series are never refused: the first store keeps updating its two.
    assert first.ingest(points, horizon=600).dropped == {"endpoint_cap": 1}


def test_slice_rows_hold_every_settled_slice_of_the_reread_window_and_nothing_pending() -> None:
    store = SliceStore(retention=600)
    other = ("img.example.com",)
    store.ingest(
        [traffic(300, 5.0), traffic(600, 7.0), traffic(900, 1.0), Point(TRAFFIC, other, 600, 2.0)],
        horizon=600,
    )
    (rows,) = store.slice_rows()
    assert rows.family is TRAFFIC
    assert rows.ends == (300, 600)
    values = {rows.labels[r]: [col[r] for col in rows.columns] for r in range(rows.size)}
    assert values[D] == [5.0, 7.0]
    assert values[other][1] == 2.0
    assert values[other][0] != values[other][0]
    # Baseline slices are there too (they are real values), and the window moves on.
    store.ingest([traffic(900, 1.5), traffic(1200, 3.0), traffic(1500, 4.0)], horizon=1500)
    (rows,) = store.slice_rows()
    assert rows.ends == (900, 1200, 1500)
    assert [col[rows.labels.index(D)] for col in rows.columns] == [1.5, 3.0, 4.0]


def test_points_as_columns_settle_exactly_as_a_list_of_points() -> None:
    polls = [
        [traffic(300, 1.0), Point(BANDWIDTH, D, 300, 8.0)],
        [traffic(300, 1.5), traffic(600, 2.0), Point(BANDWIDTH, D, 600, 9.0)],  # a revision
        [traffic(900, 4.0), Point(BANDWIDTH, ("img.example.com",), 900, 1.0)],
    ]
    as_list, as_columns = SliceStore(retention=1200), SliceStore(retention=1200)
    as_list.ingest([], horizon=0)
    as_columns.ingest([], horizon=0)
    for k, points in enumerate(polls):
        columns = PointColumns()
        columns.extend(points)
        horizon = 300 * (k + 1)
        a, b = as_list.ingest(points, horizon), as_columns.ingest(columns, horizon)
        assert (a.committed, a.pending, a.revisions) == (b.committed, b.pending, b.revisions)
    assert as_list.counters == as_columns.counters
    assert as_list.gauges == as_columns.gauges
    assert repr(as_list.slice_rows()) == repr(as_columns.slice_rows())  # NaN: no value
