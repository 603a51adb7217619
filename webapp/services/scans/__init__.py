"""Scans: the public redirect's look-up and the durable count of every scan.

The path of a scan, in order (views/public/scan.py calls the first two):

1. `targets.lookup(slug)`: the code's `ScanTarget` (target, state, webhooks), from
   Redis, else the database.
2. `recording.count_scan(target, ...)`: the row (`rows.scan_row`, with `useragents`
   and `visitors`) joins a group commit (`group_commit`) and is written by
   `writes.write_scans` (events, `counters`, webhook outbox rows) in one transaction;
   with the database down it is kept in Redis (`buffer.push`) and written by the
   periodic `buffer.flush` through the same `writes.write_scans`.

`recording.record_scan` writes a scan in the caller's transaction, with the webhooks the
redirect would find (so none for a static code, which has no scan URL); the tests record
their scans with it.
"""
