"""The codes list's cards: a short link for dynamic codes, a safe summary for static ones."""
from tests.factories import give_scans, make_code


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
