"""Wangsu/CDNetworks health routes: status codes, origin and ISP timings, certificates."""

# Written from shared/reference/wangsu-health-billing-api.md §3, §5, §6 and §9 and the
# SDK's models (`reportstatuscode`, `reportbandwidth`, `other`, `certificationmanage`).

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from collector.emulator.core import EmulatedAccount, Emulator
from collector.emulator.traffic import Quantity, decimal, unit_hash
from collector.emulator.volcengine.certificates import certificates
from collector.emulator.wangsu.facts import (
    DAY,
    INVALID_PARAMETER,
    MINUTE,
    PER_5MIN_30,
    Envelope,
    RouteFacts,
)
from collector.emulator.wangsu.responses import (
    DIALECT,
    DOMAIN,
    ISP_LEVELS,
    RouteBody,
    Shape,
    render,
)
from collector.emulator.wangsu.validation import Call, bad
from collector.model import RateLimit
from collector.timeslices import HOUR, format_local

# [I] Unstated limits: "others unstated -> at most 30/5 min per API" (§9).
ASSUMED_30 = RateLimit(calls=30, period=300)
CST = 8 * 3600  # certificate validity is printed in China Standard Time (§6)

ROUTES: tuple[RouteFacts, ...] = (
    RouteFacts(
        name="status_code",
        path="/api/report/status-code",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE,),  # `5m` only
        envelope=Envelope.RESULT,
        group_by=frozenset({"domain"}),
        source="health §3.1-3.3; models.py QueryStatusCodeDistribution*",
    ),
    RouteFacts(
        name="status_code_origin",
        path="/api/report/status-code/origin",
        method="POST",
        rate_limit=PER_5MIN_30,  # Wangsu README_EN
        max_span=7 * DAY,
        max_domains=20,
        intervals=(5 * MINUTE,),
        envelope=Envelope.RESULT,
        domain_required=True,
        group_by=frozenset({"domain"}),
        source="health §3.1-3.3, §9; models.py QueryOriginStatusCodeDistribution*",
    ),
    RouteFacts(
        name="origin_response_time",
        path="/api/report/origin/response-time",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=7 * DAY,
        max_domains=20,
        intervals=(MINUTE,),
        interval_param=False,  # "No granularity field": always per minute
        envelope=Envelope.DATA,  # the model has no code or message
        source="health §5; models.py ReportDomainOriginResponseTimeService*",
    ),
    # province/isp filters by Chinese name (the emulator's filters take both).
    RouteFacts(
        name="avg_speed_isp_province",
        path="/api/report/avg-speed/domain-isp-province",
        method="POST",
        rate_limit=ASSUMED_30,  # [I]
        max_span=HOUR,  # "≤1 h", default last hour
        max_domains=20,
        intervals=(5 * MINUTE,),  # `5m` only
        envelope=Envelope.RESULT,
        group_by=frozenset({"domain", "isp", "province"}),
        filters={"isp": "isp", "province": "province"},
        source="health §5; models.py ReportAvgSpeedDomainIspProvinceService*",
    ),
)


# GET /api/ssl/certificate: no parameters, no time range (§6).
CERTIFICATES = RouteFacts(
    name="certificates",
    path="/api/ssl/certificate",
    method="GET",
    rate_limit=ASSUMED_30,  # [I]
    max_span=0,
    max_domains=0,
    intervals=(),
    interval_param=False,
    envelope=Envelope.SSL_CERTIFICATES,
    source="health §6; models.py QueryCertificateList*",
)

# -- status codes ------------------------------------------------------------------------

# Ours ([?] the data): the share of each code in a domain's requests, 200 the rest; the
# 5xx shares swing by the hour (0 to 2x), at most 0.08 % at the edge: within a 99.9 % SLO,
# so at rest no error-budget alert fires. An error burst (the fault API) adds 503s.
EDGE_SHARES: tuple[tuple[int, float], ...] = (
    (206, 0.02), (301, 0.004), (302, 0.01), (304, 0.015), (403, 0.002), (404, 0.008),
    (499, 0.001), (500, 0.0001), (502, 0.0002), (504, 0.0001),
)  # fmt: skip
ORIGIN_SHARES: tuple[tuple[int, float], ...] = (
    (304, 0.05), (404, 0.01), (500, 0.001), (502, 0.004), (504, 0.003),
)  # fmt: skip
BURST_CODE = 503
_KINDS = {
    "edge": (EDGE_SHARES, Quantity.REQUESTS),
    "origin": (ORIGIN_SHARES, Quantity.ORIGIN_REQUESTS),
}
# `statusCodeType` names (queryBy=statusCodeType, §3.2): by code, else by class.
_TYPE_OF_CODE = {304: "Not-Modified", 403: "Permission", 404: "Not-Found"}
_TYPE_OF_CLASS = {2: "Success", 3: "Redirect", 5: "Server Error"}
QUERY_BY = ("statusCode", "statusCodeType")


def type_of(code: int) -> str:
    return _TYPE_OF_CODE.get(code) or _TYPE_OF_CLASS.get(code // 100, "Other")


def status_counts(
    emulator: Emulator, account: str, domain: str, kind: str, slice_end: int, seconds: int
) -> dict[int, int]:
    """Final requests per status code of one domain in one slice (`kind` edge or
    origin): each code a whole share of the slice's requests, 200 whatever is left."""
    shares, quantity = _KINDS[kind]
    start = slice_end - seconds
    total = round(emulator.traffic.aggregate(account, [(domain, {})], quantity, start, seconds))
    burst = emulator.burst_share(account, domain, start, slice_end)
    counts: dict[int, int] = {}
    if burst is not None:
        counts[BURST_CODE] = int(total * burst)
    for code, share in shares:
        swing = 2.0 * unit_hash(account, kind, str(code), str(start // 3600)) if code >= 500 else 1
        counts[code] = counts.get(code, 0) + min(
            total - sum(counts.values()), int(total * share * swing)
        )
    counts[200] = total - sum(counts.values())
    return counts


@dataclass(frozen=True)
class _StatusShape(RouteBody):
    """`result[] {domain, <codes>[] {statusCode, ..., requestData[] {timestamp, value}}}`,
    one item per domain; codes with no request in the window are left out."""

    kind: str = "edge"  # edge | origin
    query_by: str = "statusCode"

    def bind(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Shape]:
        query_by = payload.get("queryBy", "statusCode")
        if query_by not in QUERY_BY:
            raise bad(INVALID_PARAMETER, f"queryBy accepts {list(QUERY_BY)}.")
        return payload, replace(self, query_by=query_by)

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        (domain,) = picked["domain"]
        rows: dict[str, dict[int, int]] = {}
        for end, factor in call.slices:
            counts = status_counts(
                call.emulator, call.account.name, domain, self.kind, end, call.slice_seconds
            )
            for code, value in counts.items():
                key = str(code) if self.query_by == "statusCode" else type_of(code)
                into = rows.setdefault(key, {})
                into[end] = into.get(end, 0) + round(value * factor)
        codes = []
        for key, values in sorted(rows.items()):
            if not any(values.values()):
                continue
            series = [
                {"timestamp": call.label(end), "value": str(values.get(end, 0))}
                for end, _ in call.slices
            ]
            row: dict[str, Any] = {"statusCode": key, "requestData": series}
            if self.kind == "edge":
                row["totalRequest"] = str(sum(values.values()))
                row["statusCodeType"] = type_of(int(key)) if key.isdigit() else key
            codes.append(row)
        if self.kind == "origin":
            # The model puts statusCodeType at the domain level ([?] its value): the queryBy.
            return {"statusCodeType": self.query_by, self.series: codes}
        return {self.series: codes}


def _status_shape(kind: str, series: str) -> _StatusShape:
    return _StatusShape(levels=(DOMAIN,), series=series, columns=(), kind=kind)


# -- origin response time -----------------------------------------------------------------


def origin_response_ms(account: str, domain: str, slice_end: int) -> float:
    """Ours ([?] the data): 40-160 ms, slower at the evening peak, steady per minute; a
    burst of errors doubles it (a failing origin is a slow one)."""
    hour = (slice_end // 3600 + 8) % 24
    base = 40.0 + 80.0 * unit_hash(account, domain, "origin-rt")
    evening = 1.5 if 19 <= hour <= 23 else 1.0
    jitter = 0.9 + 0.2 * unit_hash(account, domain, "origin-rt", str(slice_end // 60))
    return base * evening * jitter


class _ResponseTimeShape(Shape):
    """`{"data": [{domain, detailList[] {timestamp, value (ms, 2 dp)}}]}`, no code or
    message (the model has none)."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        (domain,) = picked["domain"]
        details = []
        for end, _ in call.slices:
            ms = origin_response_ms(call.account.name, domain, end)
            if call.emulator.burst_share(call.account.name, domain, end - MINUTE, end):
                ms *= 2
            details.append({"timestamp": call.label(end), "value": decimal(ms, 2)})
        return {self.series: details}


class _AvgSpeedShape(Shape):
    """`result[] {domain, ispData[] {isp, provinceData[] {province, details[] {timestamp,
    avgSpeed (KB/s), avgResponseTime, avgFirstPacketTime, totalResponseTime (ms)}}}}`.
    Ours ([?] the data): each cell's speed and response time fixed per cell, slower in
    the evening; averages over aggregated cells weighted by their requests."""

    def _leaf(
        self, call: Call, picked: Mapping[str, tuple[str, ...]], omit: frozenset[str]
    ) -> dict[str, Any]:
        members = call.members(picked)
        details = []
        for end, factor in call.slices:
            hour = (end // 3600 + 8) % 24
            evening = 1.4 if 19 <= hour <= 23 else 1.0
            weights = speeds = times = 0.0
            for domain, cell in members:
                requests = call.emulator.traffic.aggregate(
                    call.account.name, [(domain, cell)], Quantity.REQUESTS, end - 300, 300
                )
                key = (call.account.name, domain, cell.get("isp", ""), cell.get("province", ""))
                weights += requests
                speeds += requests * (800.0 + 4000.0 * unit_hash(*key, "speed")) / evening
                times += requests * (15.0 + 120.0 * unit_hash(*key, "rt")) * evening
            speed = speeds / weights if weights else 0.0
            response = times / weights if weights else 0.0
            details.append(
                {
                    "timestamp": call.label(end),
                    "avgSpeed": decimal(speed, 2),
                    "avgResponseTime": decimal(response, 2),
                    "avgFirstPacketTime": decimal(response * 0.4, 2),
                    "totalResponseTime": decimal(times * factor, 2),
                }
            )
        return {self.series: details}


SHAPES: Mapping[str, Shape] = {
    "status_code": _status_shape("edge", "statusCodeData"),
    "status_code_origin": _status_shape("origin", "statusCodeOriginData"),
    "origin_response_time": _ResponseTimeShape(levels=(DOMAIN,), series="detailList", columns=()),
    "avg_speed_isp_province": _AvgSpeedShape(levels=ISP_LEVELS, series="details", columns=()),
}

# -- certificates ------------------------------------------------------------------------


def certificate_list(account: EmulatedAccount, now: float) -> list[dict[str, Any]]:
    """The account's certificates (one per domain space, renewed every 60 days, valid 90:
    the same cycle as the Volcengine emulator's), as `ssl-certificates[]` items; all
    values strings, validity in CST."""
    items = []
    for index, cert in enumerate(certificates(account, now)):
        items.append(
            {
                "certificate-id": str(100000 + index),
                "name": cert.name,
                "comment": "",
                "share-ssl": "false",
                "certificate-validity-from": format_local(
                    cert.not_before, CST, "%Y-%m-%d %H:%M:%S"
                ),
                "certificate-validity-to": format_local(cert.not_after, CST, "%Y-%m-%d %H:%M:%S"),
                "related-domains": [
                    {"domain-id": str(200000 + i), "domain-name": domain}
                    for i, domain in enumerate(cert.domains)
                ],
                "dns-names": [f"*.{cert.name}", cert.name],
                "certificate-serial": cert.cert_id.removeprefix("cert-"),
                "crt-md5": "",
                "key-md5": "",
                "ca-md5": "",
                "certificate-issuer": "Emulated CA",
            }
        )
    return items


def certificate_handler(
    emulator: Emulator,
    authenticate: Callable[[Emulator, web.Request, bytes], EmulatedAccount],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()

        def respond(account: EmulatedAccount) -> web.Response:
            # An integer-coded family (§2), but the list itself has no code beside it.
            items = certificate_list(account, emulator.clock.time())
            return render({"ssl-certificates": items})

        return await emulator.handle(
            dialect=DIALECT,
            endpoint=CERTIFICATES.name,
            rate_limit=CERTIFICATES.rate_limit,
            authenticate=lambda: authenticate(emulator, request, body),
            respond=respond,
        )

    return handle
