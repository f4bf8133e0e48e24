"""Volcengine Live `ListCertV2` (Version 2023-01-01): the account's certificates.

Written from shared/reference/volcengine-health-billing-api.md §3.7: every request field
optional (`Available`, `Expiring`, `CertName` fuzzy, `Domain` exact, `ProjectName`,
`PageNum`/`PageSize`, both omitted for every certificate); `Result {CertList[] {CertID,
CertName, CertDomainList, ChainID, ChainIDVolc, CreateTime, NotBefore, NotAfter (RFC 3339
UTC), ProjectName, Status}, ExpirationInfo {ActiveNum, ClosingExpireNum, ExpireNum},
Total}`; 10 requests a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector.emulator.bodies import json_object
from collector.emulator.core import EmulatedAccount
from collector.emulator.traffic import unit_hash
from collector.emulator.volcengine.facts import CERTIFICATES
from collector.emulator.volcengine.validation import bad
from collector.timeslices import format_request_time

DAY = 86400
# Ours: a certificate is valid 90 days and replaced every 60, so at any time one has
# 30 to 90 days left; each starts its cycle at its own phase.
VALIDITY = 90 * DAY
RENEWAL = 60 * DAY
CLOSING = 30 * DAY  # ClosingExpireNum: expiring within a month
# Status from the certificate platform, by time left: the first bound not passed.
_STATUS = ((0, "Expire"), (DAY, "1days"), (7 * DAY, "7days"), (15 * DAY, "15days"),
           (30 * DAY, "30days"))  # fmt: skip


@dataclass(frozen=True)
class Certificate:
    cert_id: str
    name: str
    domains: tuple[str, ...]
    not_before: int
    not_after: int

    def status(self, now: float) -> str:
        left = self.not_after - now
        return next((s for bound, s in _STATUS if left <= bound), "OK")


def certificates(account: EmulatedAccount, now: float) -> list[Certificate]:
    """One certificate per domain space (pull.live.example.com's is live.example.com),
    covering its domains, in its current renewal cycle."""
    spaces: dict[str, list[str]] = {}
    for domain in account.domains:
        spaces.setdefault(domain.split(".", 1)[-1], []).append(domain)
    found = []
    for space, domains in sorted(spaces.items()):
        phase = int(unit_hash(account.name, "cert", space) * RENEWAL)
        cycle = (int(now) - phase) // RENEWAL
        not_before = phase + cycle * RENEWAL
        cert_id = f"cert-{int(unit_hash(account.name, 'cert-id', space, str(cycle)) * 1e12):012d}"
        found.append(
            Certificate(cert_id, space, tuple(sorted(domains)), not_before, not_before + VALIDITY)
        )
    return found


def _flag(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise bad(f"{key} must be a boolean")
    return value


def _page(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise bad(f"{key} must be a positive integer")
    return value


def result(account: EmulatedAccount, raw: bytes, now: float) -> dict[str, Any]:
    """Validate a ListCertV2 body and build the Result."""
    body = json_object(raw, CERTIFICATES.takes, bad)
    available, expiring = _flag(body, "Available"), _flag(body, "Expiring")
    for key in ("CertName", "Domain", "ProjectName"):
        if key in body and not isinstance(body[key], str):
            raise bad(f"{key} must be a string")
    page, size = _page(body, "PageNum"), _page(body, "PageSize")
    every = certificates(account, now)
    rows = every
    # Expiring only counts with Available: false (the default) not expired, true expired.
    if available is not None:
        rows = [c for c in rows if (c.not_after <= now) == bool(expiring)]
    if body.get("CertName"):
        rows = [c for c in rows if body["CertName"] in c.name]
    if body.get("Domain"):
        rows = [c for c in rows if body["Domain"] in c.domains]
    if body.get("ProjectName") not in (None, "", "default"):
        rows = []
    total = len(rows)
    if page is not None or size is not None:
        first = ((page or 1) - 1) * (size or 10)
        rows = rows[first : first + (size or 10)]
    return {
        "CertList": [_row(c, now) for c in rows],
        "ExpirationInfo": {
            "ActiveNum": sum(1 for c in every if c.not_after > now),
            "ClosingExpireNum": sum(1 for c in every if 0 < c.not_after - now <= CLOSING),
            "ExpireNum": sum(1 for c in every if c.not_after <= now),
        },
        "Total": total,
    }


def _utc(epoch: int) -> str:
    return format_request_time(epoch, 0).replace("+00:00", "Z")


def _row(cert: Certificate, now: float) -> dict[str, Any]:
    return {
        "CertID": cert.cert_id,
        "CertName": cert.name,
        "CertDomainList": list(cert.domains),
        "ChainID": cert.cert_id,
        "ChainIDVolc": cert.cert_id,
        "CreateTime": _utc(cert.not_before),
        "NotBefore": _utc(cert.not_before),
        "NotAfter": _utc(cert.not_after),
        "ProjectName": "default",
        "Status": cert.status(now),
    }
