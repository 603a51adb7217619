"""What the views share: the HTTP plumbing under the blueprints.

- `auth`: Flask-Login set up for the browser (`init_login`), `admin_required`, `api_user`.
- `pending_login`: a log-in whose password was right, waiting for its two-factor code.
- `errors`: error pages for people and the JSON error shape under /api.
- `rendering`: `render`, the whole page or the block HTMX asked for.
- `streaming`: pages whose head goes out first; NDJSON and CSV bodies.
- `sessions`: signed-cookie sessions that cost nothing for visitors without one.
- `static_assets`: content-hashed static URLs, long cache, precompressed files.
"""
