"""The codes list's cards: a short link for dynamic codes, a safe summary for static ones."""
from tests.factories import give_scans, make_code
from tests.support.codes import FORM


def test_cards_show_safe_summaries_and_counts_that_read_as_counts(app, client, owner):
    with app.app_context():
        make_code(owner, "cafe-wifi", kind="static", title="Guest Wi-Fi", content_type="wifi",
                  content="WIFI:T:WPA;S:Cafe Guest;P:espresso\\;2024;;",
                  content_fields={"ssid": "Cafe Guest", "password": "espresso;2024",
                                  "security": "WPA"})
        make_code(owner, "card", kind="static", title="Me", content_type="vcard",
                  content="BEGIN:VCARD\nN:Lovelace;Ada\nTEL:+44 20 7946 0000\nEND:VCARD",
                  content_fields={"name": "Lovelace;Ada", "displayname": "Ada Lovelace",
                                  "phone": "+44 20 7946 0000"})
        make_code(owner, "mail", kind="static", title="Write", content_type="email",
                  content="MATMSG:TO:hi@example.com;SUB:secret plan;;",
                  content_fields={"to": "hi@example.com", "subject": "secret plan"})
        make_code(owner, "where", kind="static", title="Shop", content_type="geo",
                  content="geo:51.5072,-0.1276", content_fields={"lat": "51.5072", "lng": "-0.1276"})
        one = make_code(owner, "menu-1", title="Menu", target_url="https://shop.example/menu")
        many = make_code(owner, "menu-2", title="Poster", target_url="https://shop.example/poster")
        give_scans(one.id, 1)
        give_scans(many.id, 1234)
    html = client.get("/codes/").get_data(as_text=True)
    assert "espresso" not in html and "WIFI:" not in html
    assert "Wi-Fi network “Cafe Guest”" in html
    assert "Contact card: Ada Lovelace" in html and "+44 20" not in html
    assert "E-mail to hi@example.com" in html and "secret plan" not in html
    assert "Place at 51.5072, -0.1276" in html
    assert 'href="http://localhost/s/menu-1"' in html or "/s/menu-1</a>" in html
    assert "/s/cafe-wifi" not in html  # a static code has no scan link
    assert ">1 scan<" in html and ">1,234 scans<" in html and ">0 scans<" in html


def test_select_and_act_from_the_list(app, client, owner, auth):
    with app.app_context():
        ids = [make_code(owner, f"sel-{i}", title=f"Shop {i}").id for i in range(3)]
        make_code(owner, "other", title="Elsewhere")
    html = client.get("/codes/?q=shop").get_data(as_text=True)
    assert html.count('name="ids"') == 3 and 'id="batch-form"' in html
    token = auth.token("/codes/")
    moved = client.post("/codes/batch", data={"csrf_token": token, "action": "move", "ids": ids[:2],
                                              "to_folder": "Windows", "q": "shop"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/codes/?q=shop")
    listed = client.get("/codes/?folder=Windows").get_data(as_text=True)
    assert listed.count('name="ids"') == 2 and "Moved 2 codes." in listed
    matching = client.get("/codes/matching?q=shop").get_data(as_text=True)
    assert "All 3 codes matching this search are selected" in matching
    tagged = client.post("/codes/batch", data={"csrf_token": token, "action": "tag", "all_matching": "1",
                                               "q": "shop", "batch_tags": "summer, sale"})
    assert tagged.status_code == 302
    assert client.get("/codes/?tag=sale").get_data(as_text=True).count('name="ids"') == 3
    refused = client.post("/codes/batch", data={"csrf_token": token, "action": "tag", "ids": ids,
                                                "batch_tags": ""}, follow_redirects=True)
    assert "Name the tags to add or remove." in refused.get_data(as_text=True)
    copy = client.post(f"/codes/{ids[0]}/duplicate", data={"csrf_token": token})
    assert copy.status_code == 302
    assert "Shop 0 (copy)" in client.get(copy.headers["Location"]).get_data(as_text=True)


def test_the_editor_sets_tags_and_folder_and_refuses_bad_ones(app, client, auth):
    auth.signup()
    data = dict(FORM, csrf_token=auth.token("/codes/new"), tags="summer, tables", folder="Cafe")
    created = client.post("/codes/", data=data)
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert 'value="summer, tables"' in page and 'value="Cafe"' in page
    code_id = created.headers["Location"].rsplit("/", 1)[-1]
    edit = dict(FORM, csrf_token=auth.token(f"/codes/{code_id}"), tags="bad,, x" + "y" * 60, folder="")
    refused = client.post(f"/codes/{code_id}", data=edit)
    assert refused.status_code == 422 and "too long" in refused.get_data(as_text=True)
    edit.update(tags="winter", folder="")
    assert client.post(f"/codes/{code_id}", data=edit).status_code == 302
    body = client.get("/codes/?tag=winter").get_data(as_text=True)
    assert f'data-code-id="{code_id}"' in body and "📁" not in body
