"""For operators: /healthz and /readyz (`health`), /metrics (`metrics`), and for
administrators /admin/status (`status`), /admin/users (`users`) and the RQ dashboard
(`rq_dashboard`)."""
