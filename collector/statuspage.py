"""The status page `/` as HTML from a `Status`: pure, no external assets."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from collector.status import (
    BillingStatus,
    DiscoveryStatus,
    EndpointStatus,
    NextPoll,
    PollResult,
    Status,
)

ERROR_SUMMARY = 120  # characters of an error shown before "more"
BAR_WIDTH = 120  # px of the data-age and budget bars
CELL = 5  # px per poll in the recent-polls strip, its gap included

MINUTE, HOUR = 60, 3600
# Decimal units, as invoices use: bandwidth in bits per second, traffic in bytes.
_BIT_RATES = (("Tbps", 1e12), ("Gbps", 1e9), ("Mbps", 1e6), ("Kbps", 1e3), ("bps", 1.0))
_BYTES = (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1.0))
# Month to date over the forecast: blue under the commit, red over it.
_UNDER = ("#1565c0", "#90caf9")
_OVER = ("#c62828", "#ef9a9a")


class Health(IntEnum):
    """An endpoint's state, worst first: the page's order and colour."""

    FAILING = 0
    LATE = 1  # polls succeed, but the newest slice is older than expected
    WAITING = 2  # no poll has finished yet
    OK = 3


_HEALTH_TEXT = {
    Health.FAILING: "failing",
    Health.LATE: "late",
    Health.WAITING: "not polled yet",
    Health.OK: "up",
}
_POLL_COLOUR = {
    PollResult.OK: "#2e7d32",
    PollResult.FAILED: "#c62828",
    PollResult.THROTTLED: "#ef8f00",
}


def health_of(endpoint: EndpointStatus, now: float) -> Health:
    """A failing poll outranks late data; late data outranks waiting."""
    if endpoint.up is False:
        return Health.FAILING
    if endpoint.late(now):
        return Health.LATE
    return Health.WAITING if endpoint.up is None else Health.OK


def duration(seconds: float) -> str:
    """`45 s`, `3 min`, `1 h 2 min`, `31 h`, `5 d`: as a person says it."""
    s = max(0, round(seconds))
    if s < MINUTE:
        return f"{s} s"
    if s < HOUR:
        return f"{s // MINUTE} min"
    hours, minutes = divmod(s // MINUTE, 60)
    if hours < 10:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours} h" if hours < 72 else f"{hours // 24} d"


def _ago(now: float, then: float | None) -> str:
    return "never" if then is None else f"{duration(now - then)} ago"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _next_poll(endpoint: EndpointStatus, now: float) -> str:
    """When the job runs next, and why if it is a retry or an auth pause."""
    due = endpoint.next_poll
    if due is None:
        return endpoint.next_kind.value  # not started, or running
    when = "now" if due <= now else f"in {duration(due - now)}"
    if endpoint.next_kind is NextPoll.AUTH_PAUSE:
        return f"{when} (paused: credentials rejected)"
    return f"{when} (retry)" if endpoint.next_kind is NextPoll.RETRY else when


def _bar(
    fraction: float,
    colour: str,
    label: str,
    mark: float | None = None,
    behind: tuple[float, str] | None = None,
) -> str:
    """A horizontal bar filled to `fraction` (0-1), an optional tick at `mark` (0-1) and
    an optional second fill `behind` it (fraction, colour)."""
    fills = "".join(
        f'<rect x="0" y="2" width="{round(BAR_WIDTH * min(max(f, 0.0), 1.0))}" height="8" '
        f'rx="2" fill="{c}"/>'
        for f, c in (*((behind,) if behind else ()), (fraction, colour))
    )
    tick = ""
    if mark is not None:
        x = round(BAR_WIDTH * mark)
        tick = f'<rect x="{x - 1}" y="0" width="2" height="12" fill="#333"/>'
    return (
        f'<svg class="bar" width="{BAR_WIDTH}" height="12" viewBox="0 0 {BAR_WIDTH} 12" '
        f'role="img" aria-label="{_e(label)}"><title>{_e(label)}</title>'
        f'<rect x="0" y="2" width="{BAR_WIDTH}" height="8" rx="2" fill="#e6e6e6"/>'
        f"{fills}{tick}</svg>"
    )


def _age_cell(endpoint: EndpointStatus, now: float) -> str:
    """Data age against its expected age: the bar's scale is twice the expected age,
    the tick marks the expected age."""
    age = endpoint.data_age(now)
    expected = endpoint.expected_data_age
    if age is None:
        return f'<span class="dim">no data yet</span> <small>expected {duration(expected)}</small>'
    colour = "#ef8f00" if age > expected else "#2e7d32"
    label = f"data age {age:.0f} s, expected {expected} s"
    bar = _bar(age / (2 * expected), colour, label, mark=0.5)
    text = f"{_e(duration(age))} <small>/ {_e(duration(expected))}</small>"
    return f'{bar} <span class="nowrap">{text}</span>'


def _budget_cell(endpoint: EndpointStatus) -> str:
    share = endpoint.budget_share
    colour = "#c62828" if share > 1 else "#1565c0"
    bar = _bar(share, colour, f"{share:.1%} of the rate budget")
    calls = f"{endpoint.calls_per_poll} call(s)/poll"
    if endpoint.fewest_calls != endpoint.calls_per_poll:
        calls += f" (fewest {endpoint.fewest_calls})"
    return f'{bar} <span class="nowrap">{share:.1%}</span><small class="sub">{_e(calls)}</small>'


def _strip(recent: tuple[PollResult, ...]) -> str:
    """The last polls, oldest left: green ok, red failed, orange throttled."""
    if not recent:
        return '<span class="dim">none yet</span>'
    width = CELL * len(recent)
    counts = ", ".join(
        f"{sum(r is kind for r in recent)} {kind.value}" for kind in PollResult if kind in recent
    )
    label = f"last {len(recent)} polls: {counts}"
    cells = "".join(
        f'<rect x="{i * CELL}" y="0" width="{CELL - 1}" height="12" fill="{_POLL_COLOUR[r]}">'
        f"<title>{r.value}</title></rect>"
        for i, r in enumerate(recent)
    )
    return (
        f'<svg class="strip" width="{width}" height="12" viewBox="0 0 {width} 12" role="img" '
        f'aria-label="{_e(label)}"><title>{_e(label)}</title>{cells}</svg>'
    )


def _error(text: str | None) -> str:
    """Short errors as they are; long ones shortened, the whole text on demand."""
    if not text:
        return ""
    if len(text) <= ERROR_SUMMARY:
        return f'<span class="err">{_e(text)}</span>'
    return (
        f'<details class="err"><summary>{_e(text[:ERROR_SUMMARY])}…</summary>'
        f"<div>{_e(text)}</div></details>"
    )


def _td(label: str, content: str, cls: str = "") -> str:
    """A cell; `label` heads it when the table shows as cards (narrow screens)."""
    extra = f' class="{cls}"' if cls else ""
    return f'<td data-label="{_e(label)}"{extra}>{content}</td>'


def _endpoint_row(endpoint: EndpointStatus, now: float) -> str:
    state = health_of(endpoint, now)
    chosen = (
        f" <small>(chosen over {_e(endpoint.chosen_over)})</small>" if endpoint.chosen_over else ""
    )
    name = f'<span class="badge {state.name.lower()}">{_e(_HEALTH_TEXT[state])}</span> '
    name += f"<b>{_e(endpoint.endpoint)}</b>{chosen}"
    if not endpoint.counting() and endpoint.up:
        name += '<small class="dim sub">counters not started</small>'
    cells = (
        _td("endpoint", name, "name"),
        _td("data age / expected", _age_cell(endpoint, now)),
        _td("recent polls", _strip(endpoint.recent)),
        _td("rate budget", _budget_cell(endpoint)),
        _td("every", _e(duration(endpoint.interval)), "nowrap"),
        _td("polls", str(endpoint.polls), "nowrap"),
        _td("last success", _e(_ago(now, endpoint.last_success)), "nowrap"),
        _td("next poll", _e(_next_poll(endpoint, now))),
        _td("last error", _error(endpoint.last_error), "wide"),
    )
    return f'<tr class="{state.name.lower()}">{"".join(cells)}</tr>'


_ENDPOINT_HEAD = (
    "endpoint",
    "data age / expected",
    "recent polls",
    "rate budget",
    "every",
    "polls",
    "last success",
    "next poll",
    "last error",
)


@dataclass(frozen=True, slots=True)
class _Group:
    account: str
    provider: str
    endpoints: tuple[EndpointStatus, ...]  # worst first

    def counts(self, now: float) -> dict[Health, int]:
        counts = dict.fromkeys(Health, 0)
        for endpoint in self.endpoints:
            counts[health_of(endpoint, now)] += 1
        return counts


def groups(endpoints: Iterable[EndpointStatus], now: float) -> list[_Group]:
    """Endpoints by account, worst first within each; accounts with the worst endpoint
    first, in config order otherwise."""
    by_account: dict[str, list[EndpointStatus]] = {}
    for endpoint in endpoints:
        by_account.setdefault(endpoint.account, []).append(endpoint)
    result = [
        _Group(
            account,
            members[0].provider,
            tuple(sorted(members, key=lambda e: health_of(e, now))),  # stable: config order
        )
        for account, members in by_account.items()
    ]
    return sorted(result, key=lambda g: min(health_of(e, now) for e in g.endpoints))


def _group_rows(group: _Group, now: float) -> str:
    """One account's part of the endpoint table: its heading, the column heads again
    (a long page scrolls), its rows."""
    counts = group.counts(now)
    summary = ", ".join(
        f'<span class="badge {state.name.lower()}">{n} {_HEALTH_TEXT[state]}</span>'
        for state, n in counts.items()
        if n
    )
    head = "".join(f"<th>{_e(h)}</th>" for h in _ENDPOINT_HEAD)
    rows = "\n".join(_endpoint_row(e, now) for e in group.endpoints)
    return (
        f'<tbody class="account"><tr class="group"><th colspan="{len(_ENDPOINT_HEAD)}">'
        f"<h2>{_e(group.account)} <small>{_e(group.provider)}</small></h2> {summary}</th></tr>"
        f'<tr class="head">{head}</tr>\n{rows}\n</tbody>'
    )


def _endpoints(status: Status) -> str:
    """Every endpoint in one table, so the columns line up across accounts."""
    if not status.endpoints:
        return ""
    parts = "\n".join(_group_rows(g, status.now) for g in groups(status.endpoints, status.now))
    return f'<table class="endpoints">\n{parts}\n</table>'


def _discovery(accounts: tuple[DiscoveryStatus, ...], now: float) -> str:
    if not accounts:
        return ""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("account", "every", "domains", "listings", "last success", "last error")
    )
    rows = []
    for account in sorted(accounts, key=lambda a: a.last_error is None):
        failing = account.last_error is not None
        state = "failing" if failing else ("waiting" if account.domains is None else "ok")
        domains = "not listed yet" if account.domains is None else str(account.domains)
        cells = (
            _td(
                "account",
                f'<span class="badge {state}">{state}</span> <b>{_e(account.account)}</b>',
                "name",
            ),
            _td("every", _e(duration(account.refresh))),
            _td("domains", _e(domains)),
            _td("listings", str(account.listings)),
            _td("last success", _e(_ago(now, account.last_success))),
            _td("last error", _error(account.last_error), "wide"),
        )
        rows.append(f'<tr class="{state}">{"".join(cells)}</tr>')
    return (
        '<h2>Domain discovery</h2><table class="discovery">'
        f"<thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def amount(value: float, traffic: bool) -> str:
    """`135 Mbps`, `1.25 Gbps` (bytes per second as bits per second), `3.2 TB` (bytes)."""
    scaled, units = (value, _BYTES) if traffic else (value * 8, _BIT_RATES)
    for unit, size in units:  # largest first; rounded first, so 999.9 Mbps reads 1 Gbps
        if float(text := f"{scaled / size:.3g}") >= 1:
            return f"{text} {unit}"
    return f"{scaled:.3g} {units[-1][0]}"


def _billing_bar(group: BillingStatus) -> str:
    """Month to date over the forecast, the commit a tick; the scale leaves room past the
    larger of commit and forecast."""
    top = max(group.commit or 0.0, group.forecast, group.billed)
    scale = top * 1.25 if top else 1.0
    dark, light = _OVER if group.over_commit else _UNDER
    traffic = group.traffic
    label = f"month to date {amount(group.billed, traffic)}, forecast "
    label += amount(group.forecast, traffic)
    mark = None
    if group.commit is not None:
        label += f", commit {amount(group.commit, traffic)}"
        mark = group.commit / scale
    behind = (group.forecast / scale, light)
    return _bar(group.billed / scale, dark, label, mark=mark, behind=behind)


def _billing_row(group: BillingStatus) -> str:
    traffic = group.traffic
    state = "failing" if group.over_commit else ("waiting" if group.backfilling else "ok")
    badge = "over commit" if group.over_commit else ("backfilling" if group.backfilling else "ok")
    name = f'<span class="badge {state}">{badge}</span> <b>{_e(group.group)}</b>'
    name += f'<small class="dim sub">{_e(group.account)}, {_e(str(group.method))}</small>'
    figures = (
        f'{_billing_bar(group)} <span class="nowrap">{_e(amount(group.billed, traffic))}'
        f'</span><small class="sub">forecast {_e(amount(group.forecast, traffic))}</small>'
    )
    commit = "none" if group.commit is None else amount(group.commit, traffic)
    burst = "" if group.burst_points is None else str(group.burst_points)
    cost = ""
    if group.cost is not None:
        cost = f"{group.cost:,.2f} {group.currency or ''}".rstrip()
    coverage = f"{group.points}/{group.expected_points} ({group.complete:.0%})"
    if group.backfilling:
        coverage += " backfilling"
    cells = (
        _td("group", name, "name"),
        _td("month", _e(group.month), "nowrap"),
        _td("month to date / forecast", figures),
        _td("commit", _e(commit), "nowrap"),
        _td("burst points left", _e(burst), "nowrap"),
        _td("estimated cost", _e(cost), "nowrap"),
        _td("points", _e(coverage)),
    )
    return f'<tr class="{state}">{"".join(cells)}</tr>'


def _billing(groups: tuple[BillingStatus, ...]) -> str:
    """Each billing group's month: figures against the commit, cost, coverage."""
    if not groups:
        return ""
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "group",
            "month",
            "month to date / forecast",
            "commit",
            "burst points left",
            "estimated cost",
            "points",
        )
    )
    rows = "\n".join(_billing_row(g) for g in groups)
    return (
        '<h2>Billing</h2><table class="billing">'
        f"<thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table>"
    )


def _counters_note(status: Status) -> str:
    """Why counters read 0 in the first minutes: they count from the first slice that
    settles after start-up (the slices settled at start-up are a baseline)."""
    waiting = [e for e in status.endpoints if e.up and not e.counting()]
    if not waiting:
        return ""
    return (
        f'<p class="note">Counters of {len(waiting)} endpoint(s) have not started yet: '
        "slices already settled at start-up are a baseline (they set gauges, not counters), "
        "so each counter starts from the first slice that settles after start-up, one slice "
        "and one poll interval later at most; until then it reads 0 (rows marked "
        "<i>counters not started</i>).</p>"
    )


_STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
padding:12px;max-width:1400px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 4px}
h2 small{color:#666;font-weight:normal}
tr.group th{padding:18px 0 4px;background:#fafafa;white-space:normal}
tr.group h2{display:inline;margin:0 8px 0 0;color:#222}
nav a{margin-right:12px}
.summary{font-size:15px;margin:8px 0}
.note{background:#fff8e1;border-left:4px solid #ef8f00;padding:6px 10px}
table{border-collapse:collapse;width:100%;background:#fff;table-layout:auto}
th,td{padding:5px 6px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
th{font-size:12px;color:#555;font-weight:600;white-space:nowrap}
td{overflow-wrap:anywhere}
td.wide{max-width:28em;min-width:10em}
tr.failing{background:#fdecea}tr.late{background:#fff4e0}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;color:#fff;
white-space:nowrap}
.badge.failing{background:#c62828}.badge.late{background:#ef8f00}
.badge.waiting{background:#757575}.badge.ok{background:#2e7d32}
.dim{color:#777}.nowrap{white-space:nowrap}.sub{display:block}
table.endpoints td.name b{white-space:nowrap}h2,p{overflow-wrap:anywhere}
.err{font-family:ui-monospace,monospace;font-size:12px;color:#8e0000}
details.err summary{cursor:pointer}
details.err div{white-space:pre-wrap;overflow-wrap:anywhere;margin-top:4px}
svg{vertical-align:middle}
@media (max-width:1099px){
table,thead,tbody,tr,td,th{display:block;width:auto}
thead,tr.head{display:none}
tbody.account{display:grid;gap:0 10px;
grid-template-columns:repeat(auto-fill,minmax(min(100%,340px),1fr))}
tr.group{grid-column:1/-1}
tr.group{border:0;margin:14px 0 0;padding:0}tr.group th{padding:0}
tr{border:1px solid #ddd;border-radius:6px;margin:8px 0;padding:4px 6px}
td{border:0;padding:2px 0}
td.wide{max-width:none;min-width:0}
td:empty{display:none}
td:not(.name)::before{content:attr(data-label) ": ";color:#666;font-size:12px}
}
"""


def render(status: Status, version: str) -> str:
    """The whole page: shard, overall state, endpoints grouped by account (failing and
    late first), billing groups, domain discovery."""
    now = status.now
    states = [health_of(e, now) for e in status.endpoints]
    failing, late = states.count(Health.FAILING), states.count(Health.LATE)
    badges = ", ".join(
        f'<span class="badge {state.name.lower()}">{n} {_HEALTH_TEXT[state]}</span>'
        for state in Health
        if (n := states.count(state))
    )
    overall = f"{len(states)} endpoint(s): {badges or 'none on this replica'}"
    flags = []
    if not status.healthy:
        flags.append('<span class="badge failing">the poll loop has stalled</span>')
    if not status.ready:
        flags.append('<span class="badge waiting">not ready yet</span>')
    title = (
        "cdn-exporter"
        + (f" ({failing} failing)" if failing else "")
        + (f" ({late} late)" if late else "")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><link rel="icon" href="data:,"><style>{_STYLE}</style></head>
<body><h1>cdn-exporter {_e(version)}</h1>
<nav><a href="metrics">/metrics</a> <a href="metrics/slices">/metrics/slices</a>
<a href="-/healthy">/-/healthy</a> <a href="-/ready">/-/ready</a></nav>
<p>{_e(status.shard)}</p>
<p class="summary">{overall} {" ".join(flags)}</p>
{_counters_note(status)}
{_endpoints(status)}
{_billing(status.billing)}
{_discovery(status.discovery, now)}
<p class="dim"><small>Data age: time since the end of the newest settled slice; the tick \
marks the expected age (settle delay, slice, poll interval). Recent polls, oldest left: \
<span style="color:#2e7d32">■</span> ok <span style="color:#c62828">■</span> failed \
<span style="color:#ef8f00">■</span> throttled.</small></p>
</body></html>
"""
