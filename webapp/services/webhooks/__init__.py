"""Signed webhooks through a transactional outbox: never lost, retried, and safe to send.

- `endpoints`: endpoints as their owner manages them, and their delivery log.
- `events`: domain events become outbox rows in the same transaction (`write_event`;
  scans: `scan_outbox_rows`).
- `dispatch.request_drain`: wakes a delivery job after the commit; the sweep and
  scheduled wake-ups catch what is lost.
- `delivery`: claim due rows with a lease, record outcomes; `sender.Sender`: sign and
  POST (`urls` refuses private addresses); `health`: failure streaks, disabling.
"""
