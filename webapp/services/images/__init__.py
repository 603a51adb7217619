"""Uploaded images (logos): checked, stored by content, optimised by a job, served.

- `assets.upload_image(actor, data, options)`: hostile input refused (`checks`), the
  original stored by its hash; `assets.optimise_image(image_id)`: the job body.
- `optimise.optimise`: the Pillow work, resized, re-encoded, metadata stripped (`colour`).
"""
