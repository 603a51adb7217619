"""The JSON API under /api (docs/api.md): `blueprint` (authentication), `schema`
(validation and the OpenAPI document), one module per resource, and `routes`, which
gathers them into the blueprint the app registers."""
