"""/api/openapi.json: the OpenAPI document of the API."""


def test_openapi_document_lists_operations(client):
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert "get" in doc["paths"]["/api/me"]
