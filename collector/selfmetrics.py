"""The exporter's own metrics: API calls, durations, freshness, build info."""

from __future__ import annotations

from collections.abc import Set

import prometheus_client
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.openmetrics import exposition as openmetrics

from collector import __version__

# `_created` series double the output and no dashboard or alert uses them.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

_ENDPOINT_LABELS = ("provider", "account", "endpoint")


class SelfMetrics:
    """A private registry for the exporter's self-metrics (rendered after the CDN data)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.api_requests = Counter(
            "cdn_exporter_api_requests",
            "Provider API calls by result (success, throttled, auth_failure, client_error, "
            "server_error, malformed, timeout, transport_error).",
            (*_ENDPOINT_LABELS, "result"),
            registry=r,
        )
        self.api_duration = Histogram(
            "cdn_exporter_api_request_duration_seconds",
            "Duration of provider API calls in seconds, from send to full body.",
            _ENDPOINT_LABELS,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )
        self.last_success = Gauge(
            "cdn_exporter_last_success_timestamp_seconds",
            "Unix time of the last poll in which every call of the endpoint succeeded.",
            _ENDPOINT_LABELS,
            registry=r,
        )
        self.revisions = Counter(
            "cdn_exporter_slice_revisions",
            "Settled slices the provider later reported with a different value "
            "(logged, never added to counters twice).",
            _ENDPOINT_LABELS,
            registry=r,
        )
        self.rate_limit_wait = Counter(
            "cdn_exporter_rate_limit_wait_seconds",
            "Seconds calls waited for the client-side rate limiter.",
            _ENDPOINT_LABELS,
            registry=r,
        )
        self.poll_duration = Gauge(
            "cdn_exporter_poll_duration_seconds",
            "Duration of the last poll of the endpoint (all its calls) in seconds.",
            _ENDPOINT_LABELS,
            registry=r,
        )
        self.poll_interval = Gauge(
            "cdn_exporter_poll_interval_seconds",
            "Planned poll interval of the endpoint in seconds (raised if the rate limit needs).",
            _ENDPOINT_LABELS,
            registry=r,
        )
        self.rate_budget_ratio = Gauge(
            "cdn_exporter_rate_budget_ratio",
            "Share (0 to 1) of the endpoint's published rate limit the poll plan uses.",
            _ENDPOINT_LABELS,
            registry=r,
        )
        self.poll_calls = Gauge(
            "cdn_exporter_poll_calls",
            "API calls one poll of the endpoint makes (its domain batches times its window "
            "pieces), as planned for the configured domains.",
            _ENDPOINT_LABELS,
            registry=r,
        )
        self.poll_calls_minimum = Gauge(
            "cdn_exporter_poll_calls_minimum",
            "The fewest API calls one poll could make: the domains in batches of the API's "
            "published per-call cap, times the window pieces (cdn_exporter_poll_calls is "
            "above it only under a lower configured max_domains_per_call).",
            _ENDPOINT_LABELS,
            registry=r,
        )
        self.parse_errors = Counter(
            "cdn_exporter_parse_errors",
            "Answers that did not have the documented shape, by reason (not_json, "
            "missing_field, wrong_type, not_finite, negative_value, out_of_range, "
            "bad_timestamp, shape); each also counts as a malformed call.",
            (*_ENDPOINT_LABELS, "reason"),
            registry=r,
        )
        self.series_dropped = Counter(
            "cdn_exporter_series_dropped",
            "Series removed or refused, by reason: expired (not reported by the endpoint's "
            "last successful polls), endpoint_cap, global_cap.",
            (*_ENDPOINT_LABELS, "reason"),
            registry=r,
        )
        self.expected_data_age = Gauge(
            "cdn_exporter_expected_data_age_seconds",
            "How old the endpoint's newest settled slice normally is, in seconds: settle "
            "delay plus slice length plus poll interval (compare time() - "
            "cdn_data_timestamp_seconds against it).",
            _ENDPOINT_LABELS,
            registry=r,
        )
        self.reload_success = Gauge(
            "cdn_exporter_config_last_reload_successful",
            "1 if the last configuration load (start-up or reload) succeeded, else 0.",
            registry=r,
        )
        self.reload_timestamp = Gauge(
            "cdn_exporter_config_last_reload_success_timestamp_seconds",
            "Unix time of the last successful configuration load (start-up or reload).",
            registry=r,
        )
        self.shard_ordinal = Gauge(
            "cdn_exporter_shard_ordinal",
            "This replica's shard (--shard): it polls the accounts whose shard this is.",
            registry=r,
        )
        self.total_shards = Gauge(
            "cdn_exporter_total_shards",
            "Number of shards (--total-shards) the accounts are split into; every replica "
            "of one exporter should say the same.",
            registry=r,
        )
        self.rate_budget_share = Gauge(
            "cdn_exporter_rate_budget_share",
            "Share (0 to 1) of every published rate limit this replica plans with "
            "(rate_budget_share); cdn_exporter_rate_budget_ratio is relative to it.",
            registry=r,
        )
        self.shard_accounts = Gauge(
            "cdn_exporter_shard_accounts",
            "Accounts of the configuration this replica polls (its shard's share).",
            registry=r,
        )
        self.discovered_domains = Gauge(
            "cdn_exporter_discovered_domains",
            "Domains the account's last successful discovery listed (after include and "
            "exclude patterns); they are the ones polled.",
            ("provider", "account"),
            registry=r,
        )
        self.discovery_last_success = Gauge(
            "cdn_exporter_discovery_last_success_timestamp_seconds",
            "Unix time of the account's last successful domain discovery (every page listed).",
            ("provider", "account"),
            registry=r,
        )
        self.loop_lag = Histogram(
            "cdn_exporter_event_loop_lag_seconds",
            "How late the event loop ran a periodic wake-up, in seconds: the time a "
            "scrape or a health check may have waited for the loop.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r,
        )
        self.loop_lag_max = Gauge(
            "cdn_exporter_event_loop_lag_max_seconds",
            "The largest event-loop lag in the last minute or so of wake-ups, in seconds.",
            registry=r,
        )
        self.clock_steps = Counter(
            "cdn_exporter_clock_steps",
            "Steps of the wall clock (NTP, an operator) the scheduler noticed, by direction "
            "(forward, backward): polls keep their pace on the monotonic clock.",
            ("direction",),
            registry=r,
        )
        for direction in ("forward", "backward"):
            self.clock_steps.labels(direction)
        self._per_endpoint: tuple[tuple[MetricWrapperBase, tuple[str, ...]], ...] = (
            (self.api_requests, (*_ENDPOINT_LABELS, "result")),
            (self.api_duration, _ENDPOINT_LABELS),
            (self.last_success, _ENDPOINT_LABELS),
            (self.revisions, _ENDPOINT_LABELS),
            (self.rate_limit_wait, _ENDPOINT_LABELS),
            (self.poll_duration, _ENDPOINT_LABELS),
            (self.poll_interval, _ENDPOINT_LABELS),
            (self.rate_budget_ratio, _ENDPOINT_LABELS),
            (self.poll_calls, _ENDPOINT_LABELS),
            (self.poll_calls_minimum, _ENDPOINT_LABELS),
            (self.parse_errors, (*_ENDPOINT_LABELS, "reason")),
            (self.series_dropped, (*_ENDPOINT_LABELS, "reason")),
            (self.expected_data_age, _ENDPOINT_LABELS),
        )
        self.build_info = Gauge(
            "cdn_exporter_build_info",
            "Build information; always 1.",
            ("version",),
            registry=r,
        )
        self.build_info.labels(__version__).set(1)
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)

    def forget_endpoints_except(self, live: Set[tuple[str, str, str]]) -> None:
        """Remove every per-endpoint series whose (provider, account, endpoint) is not
        in `live`: endpoints that left the configuration leave /metrics too."""
        for metric, names in self._per_endpoint:
            children: set[tuple[str, ...]] = set()
            for family in metric.collect():
                for sample in family.samples:
                    values = tuple(sample.labels.get(name, "") for name in names)
                    children.add(values)
            for values in children:
                if values[:3] not in live:
                    metric.remove(*values)

    def forget_discovery_except(self, live: Set[tuple[str, str]]) -> None:
        """Remove the discovery series of accounts no longer discovering."""
        for metric in (self.discovered_domains, self.discovery_last_success):
            children = {
                (sample.labels["provider"], sample.labels["account"])
                for family in metric.collect()
                for sample in family.samples
            }
            for values in children - set(live):
                metric.remove(*values)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def render_openmetrics(self) -> bytes:
        """OpenMetrics 1.0.0, ending with `# EOF`."""
        body: bytes = openmetrics.generate_latest(self.registry)  # type: ignore[no-untyped-call]
        return body
