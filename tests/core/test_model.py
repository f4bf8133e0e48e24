"""PointColumns: points as parallel columns that read as a sequence of Points."""

from __future__ import annotations

from collector.model import Family, Kind, Point, PointColumns

HITS = Family("h_ratio", Kind.GAUGE, "hit ratio")
POINTS = [Point(HITS, (f"d{i}.example.com",), 300 * i, i / 10) for i in range(5)]


def columns(points: list[Point]) -> PointColumns:
    out = PointColumns()
    out.extend(points)
    return out


def test_columns_read_as_the_points_they_hold() -> None:
    held = columns(POINTS)
    assert len(held) == 5
    assert held == POINTS
    assert held == POINTS  # either side of ==
    assert held[2] == POINTS[2]
    assert list(held) == POINTS
    assert list(held.rows()) == [tuple(p) for p in POINTS]
    assert held[1:3] == POINTS[1:3]
    assert isinstance(held[1:3], PointColumns)
    assert held != POINTS[:4]


def test_columns_extend_select_and_truncate() -> None:
    held = columns(POINTS[:2])
    held.extend(columns(POINTS[2:4]))  # column by column
    held.append(POINTS[4])
    assert held == POINTS
    assert held.select(lambda labels: labels[0] in {"d1.example.com", "d3.example.com"}) == [
        POINTS[1],
        POINTS[3],
    ]
    held.truncate(2)
    assert held == POINTS[:2]
    assert len(held.ends) == len(held.values) == len(held.labels) == len(held.families) == 2
