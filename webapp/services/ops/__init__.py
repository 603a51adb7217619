"""What operators see: `status` for /admin/status, `prometheus` for /metrics."""
