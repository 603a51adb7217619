"""RQ jobs: thin functions that load rows by id and call a service."""
