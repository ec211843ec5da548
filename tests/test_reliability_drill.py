"""The reliability drills' verdicts (bench/reliability.py): what counts as a failure, and how
recovery after a database fault is judged (RELIABILITY.md G21, G22). The drills themselves run
by `make reliability`, never in the test suite: they are timings, and timings are not asserted."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "reliability_drill", Path(__file__).resolve().parents[1] / "bench" / "reliability.py"
)
drill = importlib.util.module_from_spec(spec)
spec.loader.exec_module(drill)
Outcome = drill.Outcome


@pytest.mark.parametrize(
    ("status", "retry_after", "server_error"),
    [
        (200, False, False),
        (201, False, False),
        (409, False, False),
        (503, True, False),  # the outage's own answer
        (503, False, True),  # a 503 that does not say when to come back
        (500, False, True),
        (502, True, True),
        (0, False, True),  # nothing answered at all
    ],
)
def test_only_the_outage_answer_is_an_acceptable_5xx(status, retry_after, server_error):
    assert Outcome(0, "read", status, 0.01, retry_after).server_error is server_error


def test_latency_summary_counts_failures_and_times_only_successes():
    outcomes = [
        Outcome(0, "read", 200, 0.010),
        Outcome(1, "read", 200, 0.030),
        Outcome(2, "read", 500, 9.0),
        Outcome(3, "create", 201, 0.050),
        Outcome(4, "create", 400, 0.001),
    ]

    summary = drill.latency_summary(outcomes)

    assert summary["read"] == {
        "requests": 3,
        "ok": 2,
        "server_errors": 1,
        "client_errors": 0,
        "p50_ms": 20.0,
        "p95_ms": 30.0,
    }
    assert summary["create"]["client_errors"] == 1
    assert summary["create"]["p95_ms"] == 50.0


def steady(start, end, status=200, retry_after=False, step=0.5):
    at, outcomes = start, []
    while at < end:
        outcomes.append(Outcome(at, "read", status, 0.02, retry_after))
        at += step
    return outcomes


def test_recovery_is_met_when_the_outage_answers_503_and_service_returns():
    outcomes = steady(0, 15) + steady(15, 25, 503, True) + steady(25, 75)

    verdict = drill.recovery_verdict(outcomes, fault_at=15, back_at=25)

    assert verdict["met"] is True
    assert verdict["during_outage"] == verdict["outage_503_with_retry_after"] == 20
    assert verdict["first_success_after_back_s"] == 0
    assert verdict["ok_share_10_to_30s"] == verdict["ok_share_after_30s"] == 1.0


def test_a_500_during_the_outage_fails_the_drill():
    outcomes = steady(0, 15) + steady(15, 25, 500) + steady(25, 75)

    verdict = drill.recovery_verdict(outcomes, fault_at=15, back_at=25)

    assert verdict["met"] is False
    assert verdict["server_errors"] == 20


def test_slow_recovery_fails_the_drill():
    # Still refusing 20 s after the database came back: under 99% in the 10-30 s window.
    outcomes = steady(0, 15) + steady(15, 45, 503, True) + steady(45, 80)

    verdict = drill.recovery_verdict(outcomes, fault_at=15, back_at=25)

    assert verdict["met"] is False
    assert verdict["ok_share_10_to_30s"] == 0.5
    assert verdict["first_success_after_back_s"] == 20


def test_a_drill_with_no_requests_after_the_fault_is_not_met():
    verdict = drill.recovery_verdict(steady(0, 15), fault_at=15, back_at=25)

    assert verdict["met"] is False
    assert verdict["ok_share_after_30s"] is None
