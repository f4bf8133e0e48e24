"""The reload diff: which jobs a new configuration keeps, rebuilds, removes or adds."""

from __future__ import annotations

import copy
from typing import Any

from collector.config.loading import validate
from collector.jobs import ReloadPlan, diff_jobs, job_specs


def base() -> dict[str, Any]:
    return {
        "account_jitter": "10s",
        "accounts": [
            {
                "name": "main",
                "provider": "wangsu",
                "auth": {"access_key": "AK", "secret_key": "SK_0123456789"},
                "domains": ["www.example.com", "img.example.com"],
                "endpoints": {
                    name: {"enabled": False}
                    for name in (
                        "edge_hit_ratio",
                        "status_codes",
                        "origin_status_codes",
                        "origin_response_time",
                        "certificates",
                    )
                },
            },
            {
                "name": "live",
                "provider": "volcengine",
                "auth": {"access_key": "AKLT0000", "secret_key": "SK_0123456789"},
                "domains": ["pull.example.com"],
                "endpoints": {
                    name: {"enabled": False}
                    for name in (
                        "p95_peak_bandwidth",
                        "pull_to_push_bandwidth",
                        "pull_to_push",
                        "record",
                        "transcode",
                        "snapshot",
                        "audit",
                        "time_shift",
                        "status_codes",
                        "origin_status_codes",
                        "source_traffic",
                        "stream_sessions",
                        "certificates",
                    )
                },
            },
        ],
    }


def diff(old: dict[str, Any], new: dict[str, Any]) -> ReloadPlan:
    return diff_jobs(job_specs(validate(old)), job_specs(validate(new)))


def test_the_same_config_keeps_every_job() -> None:
    plan = diff(base(), base())
    assert plan == ReloadPlan(
        keep=(
            ("main", "flow_request"),
            ("main", "flow_request_origin"),
            ("live", "bandwidth"),
            ("live", "traffic"),
        )
    )
    assert not plan.changed


def test_an_endpoint_setting_rebuilds_that_endpoint_only() -> None:
    new = base()
    new["accounts"][0]["endpoints"]["flow_request"] = {"delay": "20m"}
    plan = diff(base(), new)
    assert plan.rebuild == (("main", "flow_request"),)
    assert plan.keep == (
        ("main", "flow_request_origin"),
        ("live", "bandwidth"),
        ("live", "traffic"),
    )
    assert plan.changed


def test_an_account_setting_rebuilds_every_endpoint_of_that_account() -> None:
    for key, value in [
        ("domains", ["www.example.com"]),
        ("timeout", "10s"),
        ("time_offset", "+00:00"),
        ("base_url", "https://example.org"),
        ("auth", {"access_key": "AK", "secret_key": "ROTATED_0123456789"}),
        ("provider", "cdnetworks"),
    ]:
        new = base()
        new["accounts"][0][key] = value
        plan = diff(base(), new)
        assert plan.rebuild == (("main", "flow_request"), ("main", "flow_request_origin")), key
        assert plan.keep == (("live", "bandwidth"), ("live", "traffic")), key


def test_enabling_or_disabling_a_sibling_endpoint_keeps_the_others() -> None:
    new = base()
    endpoints = new["accounts"][0]["endpoints"]
    del endpoints["edge_hit_ratio"]
    endpoints["flow_request_origin"] = {"enabled": False}
    plan = diff(base(), new)
    assert plan.keep == (("main", "flow_request"), ("live", "bandwidth"), ("live", "traffic"))
    assert plan.remove == (("main", "flow_request_origin"),)
    assert plan.add == (("main", "edge_hit_ratio"),)
    assert plan.rebuild == ()


def test_a_removed_account_removes_its_jobs_and_a_new_one_adds_them() -> None:
    new = base()
    renamed = copy.deepcopy(new["accounts"][1])
    renamed["name"] = "live-2"
    new["accounts"][1] = renamed
    plan = diff(base(), new)
    assert plan.remove == (("live", "bandwidth"), ("live", "traffic"))
    assert plan.add == (("live-2", "bandwidth"), ("live-2", "traffic"))
    assert plan.keep == (("main", "flow_request"), ("main", "flow_request_origin"))


def test_a_new_jitter_reschedules_without_rebuilding() -> None:
    new = base()
    new["account_jitter"] = "0s"
    plan = diff(base(), new)
    assert plan.rebuild == ()
    assert plan.reschedule == (
        ("main", "flow_request"),
        ("main", "flow_request_origin"),
        ("live", "bandwidth"),
        ("live", "traffic"),
    )
    assert plan.keep == ()  # both accounts had a non-zero jitter at 10s
    assert plan.changed


def test_global_settings_that_no_poller_depends_on_keep_every_job() -> None:
    new = base()
    new["max_series"] = 10
    new["readiness_grace"] = "5m"
    new["listen_address"] = "127.0.0.1:9999"
    assert not diff(base(), new).changed


def test_a_raised_interval_is_part_of_the_effective_settings() -> None:
    # 200 domains in 1-domain calls every minute cannot fit 300 calls per 5 minutes:
    # the planner raises the interval, and the job carries the raised one.
    old = base()
    old["accounts"][0]["domains"] = [f"d{i}.example.com" for i in range(200)]
    old["accounts"][0]["endpoints"] = {"edge_hit_ratio": {"enabled": True}}
    [edge] = [s for s in job_specs(validate(old)) if s.key == ("main", "edge_hit_ratio")]
    assert edge.plan.raised
    assert edge.settings.interval == edge.plan.interval
    assert edge.schedule.interval == edge.plan.interval


def test_the_summary_counts_each_kind() -> None:
    plan = ReloadPlan(keep=(("a", "x"),), reschedule=(("a", "y"),), remove=(("b", "x"),))
    assert plan.summary() == "2 kept (1 rescheduled), 0 rebuilt, 1 removed, 0 added"


def test_a_plan_names_the_fewest_calls_the_published_cap_allows() -> None:
    config = base()
    wangsu = config["accounts"][0]
    wangsu["domains"] = [f"d{i}.example.com" for i in range(450)]
    plans = {s.key: s.plan for s in job_specs(validate(config))}
    flow = plans[("main", "flow_request")]
    assert flow.calls_per_cycle == flow.minimum_calls == 3  # 200 domains a call
    wangsu["endpoints"]["flow_request"] = {"max_domains_per_call": 100}
    flow = {s.key: s.plan for s in job_specs(validate(config))}[("main", "flow_request")]
    assert (flow.calls_per_cycle, flow.minimum_calls) == (5, 3)
