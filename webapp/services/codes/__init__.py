"""QR codes: what they hold, how they look, and their lists.

- `qrcodes`: `create_code`, `update_code`, `delete_code`, `get_owned_code`, `code_to_dict`,
  `render_code`, `preview`; every code passes the scannability gate (`gate`).
- `content`, `target_urls`, `slugs`, `styles`: the parts of a code, each validated.
- `listing.list_page` / `CodePage` and `filters`: long lists, keyset pages, search.
- `image_zips`: rendered codes in ZIP parts (bulk create, the images export).
"""
