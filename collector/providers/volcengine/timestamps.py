"""Volcengine Live bucket timestamps: start-labelled RFC 3339 with their own offset."""

from __future__ import annotations

from collector.timeslices import parse_rfc3339


def parse_start_labelled(text: str, slice_seconds: int) -> int:
    """Read a start-labelled RFC 3339 bucket (Volcengine) and return its end."""
    return parse_rfc3339(text) + slice_seconds
