"""Time-slice normalisation: end labels, 24:00, offsets, granularities, windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collector.providers.volcengine.timestamps import parse_start_labelled
from collector.providers.wangsu.timestamps import parse_end_labelled
from collector.timeslices import (
    TimestampError,
    Window,
    align_down,
    format_offset,
    format_request_time,
    granularity_name,
    parse_duration,
    parse_offset,
    parse_rfc3339,
    split_window,
)

CST = 8 * 3600


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("label", "offset", "expected"),
    [
        ("2023-11-14 00:05", CST, utc(2023, 11, 13, 16, 5)),  # 5m, end label in +08:00
        ("2023-11-14 00:01", CST, utc(2023, 11, 13, 16, 1)),  # 1m
        ("2023-11-14 24:00", CST, utc(2023, 11, 14, 16, 0)),  # legacy end of day
        ("2023-11-15 00:00", CST, utc(2023, 11, 14, 16, 0)),  # same slice, modern label
        ("2023-11-14 24", CST, utc(2023, 11, 14, 16, 0)),  # hourly legacy end of day
        ("2023-11-14 01", CST, utc(2023, 11, 13, 17, 0)),  # 1h: first slice of the day
        ("2023-11-14", CST, utc(2023, 11, 14, 16, 0)),  # 1d: the day ends next midnight
        ("2022-07-22 14:00", 0, utc(2022, 7, 22, 14, 0)),  # +00:00 request offset
        ("2022-07-22 14:00", -5 * 3600, utc(2022, 7, 22, 19, 0)),  # -05:00
        ("2022-07-22 14:00", 5 * 3600 + 1800, utc(2022, 7, 22, 8, 30)),  # +05:30
    ],
)
def test_end_labelled_timestamps(label: str, offset: int, expected: int) -> None:
    assert parse_end_labelled(label, offset) == expected


@pytest.mark.parametrize(
    "label", ["2023-11-14 24:05", "2023-11-14 25:00", "2023-02-30 00:05", "14/11/2023", "", "x"]
)
def test_bad_end_labels_are_rejected(label: str) -> None:
    with pytest.raises(TimestampError):
        parse_end_labelled(label, CST)


def test_start_labelled_buckets_become_slice_ends() -> None:
    assert parse_start_labelled("2024-01-01T00:00:00+08:00", 300) == utc(2023, 12, 31, 16, 5)
    assert parse_start_labelled("2024-01-01T00:00:00Z", 86400) == utc(2024, 1, 2)
    assert parse_rfc3339("2024-01-01T00:00:00-05:00") == utc(2024, 1, 1, 5)
    with pytest.raises(TimestampError):
        parse_rfc3339("2024-01-01T00:00:00")  # no offset: never assume one


def test_offsets_round_trip() -> None:
    assert parse_offset("+08:00") == CST
    assert parse_offset("GMT+08:00") == CST
    assert parse_offset("-0530") == -(5 * 3600 + 1800)
    assert parse_offset("Z") == 0
    assert format_offset(-(5 * 3600 + 1800)) == "-05:30"
    with pytest.raises(ValueError, match="offset"):
        parse_offset("+8h")


def test_request_times_carry_the_offset() -> None:
    assert format_request_time(utc(2023, 11, 13, 16), CST) == "2023-11-14T00:00:00+08:00"
    assert format_request_time(utc(2023, 11, 13, 16), 0) == "2023-11-13T16:00:00+00:00"


def test_alignment_respects_local_midnight_for_days() -> None:
    t = utc(2023, 11, 14, 3, 7, 30)
    assert align_down(t, 300) == utc(2023, 11, 14, 3, 5)
    assert align_down(t, 60) == utc(2023, 11, 14, 3, 7)
    assert align_down(t, 3600) == utc(2023, 11, 14, 3)
    assert align_down(t, 86400, CST) == utc(2023, 11, 13, 16)  # 00:00 in +08:00
    assert align_down(t, 86400, 0) == utc(2023, 11, 14)


def test_a_window_ends_its_first_slice_one_slice_after_its_start() -> None:
    window = Window(utc(2023, 11, 14, 11, 35), utc(2023, 11, 14, 12, 0), 300)
    assert next(iter(window.slice_ends())) == utc(2023, 11, 14, 11, 40)
    assert len(window.slice_ends()) == 5


def test_split_window_respects_max_span() -> None:
    window = Window(0, 3 * 86400 + 600, 300)
    pieces = split_window(window, 86400)
    assert [(p.start, p.end) for p in pieces] == [
        (0, 86400),
        (86400, 172800),
        (172800, 259200),
        (259200, 259800),
    ]


@pytest.mark.parametrize(
    ("text", "seconds"), [("300", 300), (300, 300), ("5m", 300), ("1h", 3600), ("1d", 86400)]
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


def test_bad_duration() -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration("5 minutes")


def test_granularity_names() -> None:
    assert [granularity_name(s) for s in (60, 300, 3600, 86400, 90)] == [
        "1m",
        "5m",
        "1h",
        "1d",
        "90s",
    ]
