"""Reading scans back: what a code's analytics page and API show.

- `reports.scan_summary(code, start, end)`: totals, uniques, bots, days, breakdowns
  (`reports.code_for_owner`, `reports.parse_range` check the request first).
- `rollups.rollup_due_days()`: the periodic daily rollups the summaries read, per code
  and (`workspace_rollups`) per workspace.
- `workspace.workspace_summary(workspace_id, start, end)`: the same for a whole workspace.
- `day_stats.aggregate_events`: the one way raw events are counted per day.
"""
