"""Wangsu/CDNetworks health reports: status codes, origin and ISP timings, certificates."""

# Written from shared/reference/wangsu-health-billing-api.md §3, §5, §6 and §9.

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from collector.families import (
    CERTIFICATE_DOMAIN,
    CERTIFICATE_NOT_AFTER,
    HTTP_RESPONSES,
    HTTP_RESPONSES_BY_CODE,
    ORIGIN_HTTP_RESPONSES,
    ORIGIN_RESPONSE_TIME,
)
from collector.model import Family, Kind, Point, RateLimit
from collector.providers._json import field_of, list_of, number
from collector.providers.endpoint import (
    Endpoint,
    FanOut,
    Granularity,
    MalformedResponse,
    Measure,
    Query,
    Reason,
    Unit,
)
from collector.providers.wangsu.declare import (
    ASSUMED_30,
    DOMAINS,
    HISTORY,
    INTERVAL,
    ISP_GROUP_BY,
    ISP_LEVELS,
    Body,
    slices,
)
from collector.providers.wangsu.timestamps import parse_end_labelled
from collector.providers.wangsu.wire import COUNT, Nested
from collector.statuscodes import CLASSES, class_of_row, is_total_row
from collector.timeslices import DAY, HOUR, MINUTE, TimestampError

# [I] The edge status-code report publishes no limit: the reference's "30/5 min per API"
# (§9). Two declarations read it (classes, and codes when opted in): two thirds and one
# third of it, so together they never exceed it.
EDGE_STATUS_CLASSES_LIMIT = RateLimit(calls=20, period=300, assumed=True)
EDGE_STATUS_CODES_LIMIT = RateLimit(calls=10, period=300, assumed=True)
# 30/5 min on the origin status-code report (Wangsu README_EN, §9).
ORIGIN_STATUS_LIMIT = RateLimit(calls=30, period=300)
# [I] Unstated for origin response time and the certificate list: declare.ASSUMED_30,
# the reference's 30/5 min (§9).
MILLISECONDS = Unit(0.001, "ms divided by 1000")
CST = 8 * HOUR  # certificate validity is printed in China Standard Time, UTC+8 (§6)
CST_SECONDS = Unit(1.0, "CST `yyyy-MM-dd HH:mm:ss` read as Unix seconds")
LISTED = Unit(1.0, "1 per related domain")
# The certificate list has no time range: read once an hour as an hourly "slice" settled
# as soon as it ends (delay 0), the snapshot stamped at its end (as Volcengine ListCertV2).
CERTIFICATE_SLICES = (Granularity(seconds=HOUR, max_span=31 * DAY, data_delay=0),)


# [?] KB as 10^3 bytes, like MB as 10^6 (wire.MB).
KB_PER_SECOND = Unit(1000.0, "KB/s read as 10^3 bytes/s")
_ISP_LABELS = ("domain", "isp", "province")
ISP_PROVINCE_DOWNLOAD_SPEED = Family(
    "cdn_isp_province_download_speed_bytes_per_second",
    Kind.GAUGE,
    "Average download speed of a request in bytes per second by ISP and province",
    _ISP_LABELS,
)
ISP_PROVINCE_RESPONSE_TIME = Family(
    "cdn_isp_province_response_time_seconds",
    Kind.GAUGE,
    "Average response time of a request in seconds by ISP and province",
    _ISP_LABELS,
)
ISP_PROVINCE_FIRST_PACKET_TIME = Family(
    "cdn_isp_province_first_packet_time_seconds",
    Kind.GAUGE,
    "Average time to the first response packet of a request in seconds by ISP and province",
    _ISP_LABELS,
)


# Per code (queryBy statusCode, the default, said explicitly): classes are summed here
# from codes. No dataPadding: zero-filled slices that are merely late would count.
STATUS_CODES_BODY = Body(
    fields={"domain": DOMAINS, "groupBy": ("domain",), "queryBy": "statusCode"}
)
# No granularity field: the series is always per minute.
ORIGIN_RESPONSE_TIME_BODY = Body(fields={"domain": DOMAINS})
# Every ISP and province of each domain (no filters), 5 minutes only.
AVG_SPEED_BODY = Body(fields={"domain": DOMAINS, "dataInterval": INTERVAL, "groupBy": ISP_GROUP_BY})
# GET /api/ssl/certificate takes no parameters.
NO_BODY = Body(dates=False)


@dataclass(frozen=True, slots=True)
class StatusCodes:
    """`result[] {domain, <codes>[] {statusCode, requestData[] {timestamp, value}}}`:
    request counts per code, summed per class (every class in every slice, 0 where no
    code of it came back, so a rare 5xx counter never expires) or kept per code. Class
    rows (`5XX`, `OTHERS`) count only where a domain's answer has no single codes, and the
    `all` row never does (statuscodes)."""

    measure: Measure
    codes: str  # statusCodeData (edge) | statusCodeOriginData (origin)
    by_code: bool = False
    envelope: str = "result"

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (self.measure,)

    def source(self, measure: Measure) -> str:
        how = "per status code" if self.by_code else "summed per status class"
        return f"result[].{self.codes}[].requestData[].{measure.field} {how}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        points: list[Point] = []
        for index, item in enumerate(list_of(payload, "result", "body")):
            where = f"result[{index}]"
            domain = field_of(item, "domain", where)
            if not isinstance(domain, str) or not domain:
                raise MalformedResponse(
                    f"{where}.domain: expected a name, got {domain!r}", Reason.WRONG_TYPE
                )
            rows = self._rows(item, where, query.offset_seconds)
            has_codes = any(code.strip().isdigit() for code, _ in rows)
            slices: dict[int, dict[str, float]] = {}
            for code, series in rows:
                label = self._label(code, has_codes)
                for end, value in series:
                    values = slices.setdefault(
                        end, {} if self.by_code else dict.fromkeys(CLASSES, 0.0)
                    )
                    if label is not None:
                        values[label] = values.get(label, 0.0) + value
            points.extend(
                Point(self.measure.family, (domain, label), end, value)
                for end, values in sorted(slices.items())
                for label, value in values.items()
            )
        return points

    def _label(self, code: str, has_codes: bool) -> str | None:
        """The label a row counts under, or None: a total row, a class row beside
        single codes, or (per code) anything that is not a single code."""
        single = code.strip().isdigit()
        if is_total_row(code) or (has_codes and not single):
            return None
        if self.by_code:
            return code.strip() if single else None
        return class_of_row(code)

    def _rows(
        self, item: Any, where: str, offset: int
    ) -> list[tuple[str, list[tuple[int, float]]]]:
        out = []
        for index, row in enumerate(list_of(item, self.codes, where)):
            row_where = f"{where}.{self.codes}[{index}]"
            code = field_of(row, "statusCode", row_where)
            if not isinstance(code, str) or not code.strip():
                raise MalformedResponse(
                    f"{row_where}.statusCode: expected a code, got {code!r}", Reason.WRONG_TYPE
                )
            series = []
            for i, point in enumerate(list_of(row, "requestData", row_where)):
                at = f"{row_where}.requestData[{i}]"
                series.append((_end(point, at, offset), self._value(point, at)))
            out.append((code, series))
        return out

    def _value(self, point: Any, where: str) -> float:
        at = f"{where}.{self.measure.field}"
        return self.measure.unit.convert(number(field_of(point, self.measure.field, where), at), at)


def _end(item: Any, where: str, offset: int) -> int:
    text = field_of(item, "timestamp", where)
    try:
        return parse_end_labelled(text, offset)
    except (TimestampError, TypeError):
        raise MalformedResponse(
            f"{where}.timestamp: unrecognised {text!r}", Reason.BAD_TIMESTAMP
        ) from None


@dataclass(frozen=True, slots=True)
class Certificates:
    """`{"ssl-certificates": [{certificate-id, name, certificate-validity-to,
    related-domains[] {domain-name}}]}`: a snapshot, not a series, stamped at the
    window's end (the hour it was read). A certificate is labelled by `name`
    (`certificate-id` when unnamed); its domains are the accelerated domains it is
    deployed on (`related-domains`), not its DNS names. Two sharing a name keep the
    later expiry."""

    not_after: Measure
    domain: Measure
    envelope: str = "ssl-certificates"

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (self.not_after, self.domain)

    def source(self, measure: Measure) -> str:
        return f"ssl-certificates[].{measure.field}"

    def parse(self, payload: Any, query: Query) -> list[Point]:
        end = query.window.end
        expiry: dict[str, float] = {}
        domains: dict[str, set[str]] = {}
        for index, cert in enumerate(list_of(payload, "ssl-certificates", "body")):
            where = f"ssl-certificates[{index}]"
            name = cert.get("name") if isinstance(cert, dict) else None
            named = isinstance(name, str) and name
            label = name if named else field_of(cert, "certificate-id", where)
            if not isinstance(label, str) or not label:
                raise MalformedResponse(
                    f"{where}.certificate-id: expected a name, got {label!r}", Reason.WRONG_TYPE
                )
            raw = field_of(cert, self.not_after.field, where)
            try:
                expires = float(parse_end_labelled(raw, CST))
            except (TimestampError, TypeError):
                raise MalformedResponse(
                    f"{where}.{self.not_after.field}: not `yyyy-MM-dd HH:mm:ss`: {raw!r}",
                    Reason.BAD_TIMESTAMP,
                ) from None
            expiry[label] = max(expiry.get(label, 0.0), expires)
            names = domains.setdefault(label, set())
            for i, related in enumerate(list_of(cert, self.domain.field, where, optional=True)):
                domain = field_of(related, "domain-name", f"{where}.{self.domain.field}[{i}]")
                if not isinstance(domain, str) or not domain:
                    raise MalformedResponse(
                        f"{where}.{self.domain.field}[{i}].domain-name: expected a name, "
                        f"got {domain!r}",
                        Reason.WRONG_TYPE,
                    )
                names.add(domain)
        points = [Point(self.not_after.family, (label,), end, v) for label, v in expiry.items()]
        points += [
            Point(self.domain.family, (label, domain), end, 1.0)
            for label, names in domains.items()
            for domain in sorted(names)
        ]
        return points


def _status_spec(
    *,
    name: str,
    path: str,
    rate_limit: RateLimit,
    shape: StatusCodes,
    sdk_model: str,
    description: str,
) -> Endpoint:
    return Endpoint(
        name=name,
        path=path,
        method="POST",
        history=HISTORY,
        rate_limit=rate_limit,
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, span=7 * DAY),  # `5m` only, 7 days a call
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=STATUS_CODES_BODY,
        shape=shape,
        sdk_model=sdk_model,
        description=description,
    )


STATUS_CODES = _status_spec(
    name="status_codes",
    path="/api/report/status-code",
    rate_limit=EDGE_STATUS_CLASSES_LIMIT,
    shape=StatusCodes(
        measure=Measure(field="value", family=HTTP_RESPONSES, unit=COUNT),
        codes="statusCodeData",
    ),
    sdk_model="reportstatuscode.QueryStatusCodeDistribution",
    description="Edge responses per status class, from counts per code (5m).",
)

ENDPOINTS: tuple[Endpoint, ...] = (
    STATUS_CODES,
    replace(
        _status_spec(
            name="status_codes_by_code",
            path="/api/report/status-code",
            rate_limit=EDGE_STATUS_CODES_LIMIT,
            shape=StatusCodes(
                measure=Measure(field="value", family=HTTP_RESPONSES_BY_CODE, unit=COUNT),
                codes="statusCodeData",
                by_code=True,
            ),
            sdk_model="reportstatuscode.QueryStatusCodeDistribution",
            description="Edge responses per HTTP status code (one series per code seen).",
        ),
        opt_in=True,
    ),
    _status_spec(
        name="origin_status_codes",
        path="/api/report/status-code/origin",
        rate_limit=ORIGIN_STATUS_LIMIT,
        shape=StatusCodes(
            measure=Measure(field="value", family=ORIGIN_HTTP_RESPONSES, unit=COUNT),
            codes="statusCodeOriginData",
        ),
        sdk_model="reportstatuscode.QueryOriginStatusCodeDistribution",
        description="Back-to-origin responses per status class, from counts per code (5m).",
    ),
    Endpoint(
        name="origin_response_time",
        path="/api/report/origin/response-time",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=20,
        slices=slices(MINUTE, span=7 * DAY),
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=ORIGIN_RESPONSE_TIME_BODY,
        shape=Nested(
            envelope="code-data",
            levels=(),
            series="detailList",
            measures=(Measure(field="value", family=ORIGIN_RESPONSE_TIME, unit=MILLISECONDS),),
        ),
        sdk_model="reportbandwidth.ReportDomainOriginResponseTimeService",
        description="Average back-to-origin response time per domain (1m, ms as seconds).",
    ),
    Endpoint(
        name="avg_speed_isp_province",
        path="/api/report/avg-speed/domain-isp-province",
        method="POST",
        history=HISTORY,
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=20,
        slices=slices(5 * MINUTE, span=HOUR),  # `5m` only, at most 1 hour a call
        fan_out=FanOut.DOMAIN_BATCHES,
        build_body=AVG_SPEED_BODY,
        shape=Nested(
            envelope="result",
            levels=ISP_LEVELS,
            series="details",
            measures=(
                Measure(field="avgSpeed", family=ISP_PROVINCE_DOWNLOAD_SPEED, unit=KB_PER_SECOND),
                Measure(
                    field="avgResponseTime", family=ISP_PROVINCE_RESPONSE_TIME, unit=MILLISECONDS
                ),
                Measure(
                    field="avgFirstPacketTime",
                    family=ISP_PROVINCE_FIRST_PACKET_TIME,
                    unit=MILLISECONDS,
                ),
            ),
        ),
        opt_in=True,
        sdk_model="other.ReportAvgSpeedDomainIspProvinceService",
        description="Average download speed, response and first-packet time by ISP and "
        "province (5m).",
    ),
    Endpoint(
        name="certificates",
        path="/api/ssl/certificate",
        method="GET",
        rate_limit=ASSUMED_30,  # [I]
        max_domains_per_call=0,
        slices=CERTIFICATE_SLICES,
        fan_out=FanOut.ACCOUNT,
        build_body=NO_BODY,
        shape=Certificates(
            not_after=Measure(
                field="certificate-validity-to", family=CERTIFICATE_NOT_AFTER, unit=CST_SECONDS
            ),
            domain=Measure(field="related-domains", family=CERTIFICATE_DOMAIN, unit=LISTED),
        ),
        sdk_model="certificationmanage.QueryCertificateList",
        description="Certificate expiry and the domains each is deployed on, read hourly.",
    ),
)
