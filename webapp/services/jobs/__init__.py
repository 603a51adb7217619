"""Background jobs: the row is the truth, RQ carries it to a worker.

- `queues.submit(job_type, ...)`: commit the row, then enqueue; `JOB_TYPES` names each
  job's function, queue, timeout and retries.
- `lifecycle`: the row's state machine (`claim`, `record_progress`, `complete`,
  `end_attempt`, `request_cancel`, `stop_cancelled`, `restart_failed`) and the
  periodic `reap_stale_jobs` and `enqueue_lost_jobs`.
- `periodic.PERIODIC`: periodic tasks, run once per period across every scheduler.
- `files`: the files jobs produce, written in parts and joined; `owned`: jobs as
  their owner sees them (read, cancel, retry, download).
"""
