"""The job registry: every app's jobs, in order, each throttled by its interval across workers."""

from __future__ import annotations

import pytest

from undersigned.common import jobs
from undersigned.common.jobs import job_register, job_run_if_due, jobs_registered


def test_jobs_registered_lists_every_apps_jobs_in_order() -> None:
    assert [job.name for job in jobs_registered()] == [
        "updates",
        "outbox",
        "verifications-expire",
        "sequencer",
        "delivery",
        "milestones",
    ]


def test_job_with_interval_runs_once_across_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_JOBS", {})
    runs: list[str] = []
    job = job_register(name="probe", run=lambda: runs.append("ran") or 1, order=1, every=600)
    # A second worker asking within the interval shares the throttle through the cache.
    assert (job_run_if_due(job), job_run_if_due(job), runs) == (1, 0, ["ran"])


def test_job_without_interval_runs_every_round(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_JOBS", {})
    runs: list[str] = []
    job = job_register(name="probe", run=lambda: runs.append("ran") or 1, order=1)
    assert (job_run_if_due(job), job_run_if_due(job), runs) == (1, 1, ["ran", "ran"])


def test_job_interval_is_read_when_due(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_JOBS", {})
    interval = [0.0]
    job = job_register(name="probe", run=lambda: 1, order=1, every=lambda: interval[0])
    assert (job_run_if_due(job), job_run_if_due(job)) == (1, 1)
    interval[0] = 600.0
    assert (job_run_if_due(job), job_run_if_due(job)) == (1, 0)


def test_job_interval_shortened_takes_effect_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_JOBS", {})
    interval = [3600.0]
    job = job_register(name="probe", run=lambda: 1, order=1, every=lambda: interval[0])
    assert (job_run_if_due(job), job_run_if_due(job)) == (1, 0)
    # As when a test or an operator lowers the sequencer's interval while a worker runs.
    interval[0] = 1e-9
    assert job_run_if_due(job) == 1
