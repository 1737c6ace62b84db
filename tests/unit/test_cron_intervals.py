"""How often each cron job runs, as `pactmail status` reads it from the schedule itself."""

from __future__ import annotations

from datetime import timedelta

from workers.cron_runs import interval, recorded
from workers.worker import _cron_jobs


def test_each_job_of_the_schedule_has_its_longest_wait() -> None:
    assert {job.name: interval(job) for job in _cron_jobs()} == {
        "sweep": timedelta(seconds=15),
        "invitations": timedelta(minutes=10),
        "digests": timedelta(minutes=15),
        "summaries": timedelta(minutes=15),
        "recurring": timedelta(minutes=15),
        "retention": timedelta(hours=1),
    }


def test_recording_keeps_every_job_and_its_schedule() -> None:
    jobs = _cron_jobs()
    kept = recorded(jobs)
    assert [(job.name, job.minute, job.second) for job in kept] == [
        (job.name, job.minute, job.second) for job in jobs
    ]
    assert all(new.coroutine is not old.coroutine for new, old in zip(kept, jobs, strict=True))
