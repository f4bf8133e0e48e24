"""The Volcengine Live health APIs, each declared once: status codes, origin pulls,
online users and certificates."""

from __future__ import annotations

import dataclasses

from collector.families import (
    CERTIFICATE_DOMAIN,
    CERTIFICATE_NOT_AFTER,
    HTTP_RESPONSES,
    HTTP_RESPONSES_BY_CODE,
    ONLINE_USERS,
    ORIGIN_BANDWIDTH,
    ORIGIN_HTTP_RESPONSES,
    ORIGIN_TRAFFIC,
    REQUESTS,
    STREAM_ONLINE_USERS,
)
from collector.model import RateLimit
from collector.providers.endpoint import (
    Endpoint,
    FanOut,
    Granularity,
    Measure,
    Unit,
)
from collector.providers.volcengine.declare import (
    CERT_RATE_LIMIT,
    MAX_DOMAINS,
    USUAL_DELAY,
    _status_body,
    build_batch_session_body,
    build_certificate_body,
    build_session_body,
    build_source_body,
    live_endpoint,
    live_slices,
)
from collector.providers.volcengine.wire import (
    COUNT,
    GB,
    MBPS,
    Certificates,
    SplitSeries,
    StatusCodes,
    StreamPeaks,
)
from collector.timeslices import DAY, HOUR, MINUTE

# StreamSession and SourceTraffic span 24 h at 60 s and 31 days at 300 s and 3600 s
# with at most one split dimension (health reference §1); only Domain splits here.
# Their delay is 5 minutes at 60 s and 15 minutes otherwise.
_SESSION_SLICES = (
    Granularity(300, 31 * DAY, USUAL_DELAY),
    Granularity(MINUTE, DAY, 5 * MINUTE),
    Granularity(HOUR, 31 * DAY, USUAL_DELAY),
)
# BatchStreamSession answers one figure per stream for its whole range (at most 24 h),
# 5 minutes late: one slice a call, so the span is the slice.
BATCH_SESSION_SLICES = (
    Granularity(300, 300, 5 * MINUTE),
    Granularity(HOUR, HOUR, 5 * MINUTE),
)
# ListCertV2 has no time range: the exporter reads it once an hour as an hourly "slice"
# that is settled as soon as it ends (delay 0) and stamps the snapshot at its end. One
# call covers any window (even a backfill), so the span is never what splits it.
CERTIFICATE_SLICES = (Granularity(HOUR, 31 * DAY, 0),)
UNIX_SECONDS = Unit(1.0, "RFC 3339 read as Unix seconds")
LISTED = Unit(1.0, "1 per listed domain")
# What Volcengine's online users count (the shared families' HELP says it per source).
PEAK_SESSIONS = Unit(1.0, "peak concurrent sessions (OnlineUserType Online) within the bucket")
STREAM_PEAK_SESSIONS = Unit(
    1.0, "peak concurrent sessions (OnlineUserType Online) of the stream over the slice"
)
# Three declarations read DescribeLivePlayStatusCodeData: each keeps a third of the
# Action's 30/s, so together they never exceed it.
STATUS_RATE_LIMIT = RateLimit(10, 1)


def _statuslive_endpoint(name: str, kind: str, shape: StatusCodes, description: str) -> Endpoint:
    spec = live_endpoint(
        name,
        "DescribeLivePlayStatusCodeData",
        max_domains=MAX_DOMAINS,
        fan_out=FanOut.DOMAIN_BATCHES,
        # [I] The API's default is 60 s; 5 minutes like the other edge reports.
        slices=live_slices(300, MINUTE, HOUR),
        build_body=_status_body(kind),
        shape=shape,
        description=description,
    )
    return dataclasses.replace(spec, rate_limit=STATUS_RATE_LIMIT)


HEALTH: tuple[Endpoint, ...] = (
    _statuslive_endpoint(
        "status_codes",
        "Access",
        StatusCodes(Measure("Value", HTTP_RESPONSES, COUNT)),
        "Edge (push and pull) responses per status class, from counts per code.",
    ),
    dataclasses.replace(
        _statuslive_endpoint(
            "status_codes_by_code",
            "Access",
            StatusCodes(Measure("Value", HTTP_RESPONSES_BY_CODE, COUNT), by_code=True),
            "Edge responses per HTTP status code (one series per code seen).",
        ),
        opt_in=True,
    ),
    _statuslive_endpoint(
        "origin_status_codes",
        "Source",
        StatusCodes(Measure("Value", ORIGIN_HTTP_RESPONSES, COUNT)),
        "Origin-pull responses per status class, from counts per code.",
    ),
    live_endpoint(
        "source_traffic",
        "DescribeLiveSourceTrafficData",
        max_domains=MAX_DOMAINS,
        fan_out=FanOut.DOMAIN_BATCHES,
        slices=_SESSION_SLICES,
        build_body=build_source_body,
        shape=SplitSeries(
            "TrafficDataList",
            ("TrafficDetailDataList",),
            "Domain",
            (
                Measure("Traffic", ORIGIN_TRAFFIC, GB),
                # [?] The unit of Bandwidth is not written; Mbps per the doc's base note.
                Measure("Bandwidth", ORIGIN_BANDWIDTH, MBPS),
            ),
        ),
        description="Origin-pull traffic and bandwidth (DescribeLiveSourceBandwidthData "
        "is deprecated; this one reports both).",
    ),
    live_endpoint(
        "stream_sessions",
        "DescribeLiveStreamSessionData",
        max_domains=MAX_DOMAINS,
        fan_out=FanOut.DOMAIN_BATCHES,
        slices=_SESSION_SLICES,
        build_body=build_session_body,
        shape=SplitSeries(
            "SessionDataList",
            ("SessionDetailDataList",),
            "Domain",
            (
                Measure("OnlineUser", ONLINE_USERS, PEAK_SESSIONS),
                Measure("Request", REQUESTS, COUNT),
            ),
        ),
        description="Online users (peak concurrent sessions) and play requests.",
    ),
    dataclasses.replace(
        live_endpoint(
            "stream_sessions_by_stream",
            "DescribeLiveBatchStreamSessionData",
            max_domains=MAX_DOMAINS,
            fan_out=FanOut.DOMAIN_BATCHES,
            slices=BATCH_SESSION_SLICES,
            build_body=build_batch_session_body,
            shape=StreamPeaks(Measure("PeakOnlineUser", STREAM_ONLINE_USERS, STREAM_PEAK_SESSIONS)),
            description="Online users per stream (one series per stream: set max_series).",
        ),
        opt_in=True,
    ),
    Endpoint(
        name="certificates",
        path="ListCertV2",
        method="POST",
        rate_limit=CERT_RATE_LIMIT,
        max_domains_per_call=0,
        slices=CERTIFICATE_SLICES,
        fan_out=FanOut.ACCOUNT,
        build_body=build_certificate_body,
        shape=Certificates(
            Measure("NotAfter", CERTIFICATE_NOT_AFTER, UNIX_SECONDS),
            Measure("CertDomainList", CERTIFICATE_DOMAIN, LISTED),
        ),
        description="Certificate expiry and the domains each covers, read hourly.",
    ),
)
