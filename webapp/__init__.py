"""Scanlink, a self-hosted QR code manager. `webapp.app.create_app` builds the app.

The layers, top to bottom (import-linter holds them; see .importlinter):

- `views/` and `web/`: HTTP. Blueprints by area, and what they share (login,
  error pages, HTMX rendering, streamed responses, static files).
- `services/`: the behaviour, one package per aggregate; views and jobs call it.
- `models/` (SQLAlchemy tables) and `qr/` (the renderer and its scannability gate).
- `infra/`: the database, Redis, storage, metrics and the failure policies.

`workers/` (beside this package) runs the RQ jobs; nothing here imports it.
docs/architecture.md walks the processes and the main flows.
"""
