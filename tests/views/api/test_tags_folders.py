"""Tags and folders on the code object: set on create and PATCH, filtered, counted."""
import pytest

from tests.factories import make_api_user


@pytest.fixture
def ada(app):
    with app.app_context():
        return make_api_user("ada@example.com")[1]


def create(client, headers, **body):
    body.setdefault("target_url", "https://example.com/menu")
    response = client.post("/api/qr-codes", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def listed(client, headers, **args):
    items, cursor = [], None
    while True:
        query = dict(args, limit=2, **({"cursor": cursor} if cursor else {}))
        body = client.get("/api/qr-codes", query_string=query, headers=headers).get_json()
        items += body["items"]
        if not (cursor := body["next_cursor"]):
            return [item["title"] for item in items]


def test_tags_and_folder_set_filter_and_count(client, ada):
    one = create(client, ada, title="one", tags=["summer", " Window  A ", "summer"], folder="Shop")
    assert one["tags"] == ["summer", "Window A"] and one["folder"] == "Shop"
    create(client, ada, title="two", tags=["summer"])
    create(client, ada, title="three", folder="Shop")
    create(client, ada, title="four", tags=["summer"], folder="Shop")
    create(client, ada, title="five")
    assert listed(client, ada, tag="summer") == ["four", "two", "one"]  # paged 2 at a time
    assert listed(client, ada, folder="Shop") == ["four", "three", "one"]
    assert listed(client, ada, tag="summer", folder="Shop") == ["four", "one"]
    assert listed(client, ada, tag="nobody uses this") == []
    changed = client.patch(f"/api/qr-codes/{one['id']}", json={"tags": ["winter"], "folder": None},
                           headers=ada).get_json()
    assert changed["tags"] == ["winter"] and changed["folder"] is None
    assert listed(client, ada, tag="summer") == ["four", "two"]
    assert client.get("/api/tags", headers=ada).get_json()["items"] == [
        {"name": "summer", "count": 2}, {"name": "Window A", "count": 0}, {"name": "winter", "count": 1}]
    assert client.get("/api/folders", headers=ada).get_json()["items"] == [{"name": "Shop", "count": 2}]


@pytest.mark.parametrize("body, field", [
    ({"tags": ["a,b"]}, "tags"), ({"tags": ["x" * 51]}, "tags"), ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
    ({"folder": "f" * 101}, "folder"), ({"tags": ["bell\x07"]}, "tags"), ({"tags": "summer"}, "tags"),
])
def test_bad_tags_and_folders_are_refused_and_change_nothing(client, ada, body, field):
    code = create(client, ada, title="kept", tags=["keep"], folder="Here")
    response = client.patch(f"/api/qr-codes/{code['id']}", json=body, headers=ada)
    assert response.status_code in (400, 422)
    assert field in str(response.get_json())
    again = client.get(f"/api/qr-codes/{code['id']}", headers=ada).get_json()
    assert again["tags"] == ["keep"] and again["folder"] == "Here"


def test_one_workspace_sees_none_of_anothers_tags(app, client, ada):
    create(client, ada, tags=["private"], folder="Secret")
    with app.app_context():
        bob = make_api_user("bob@example.com")[1]
    assert client.get("/api/tags", headers=bob).get_json()["items"] == []
    assert client.get("/api/folders", headers=bob).get_json()["items"] == []
    assert client.get("/api/qr-codes?tag=private", headers=bob).get_json()["items"] == []
