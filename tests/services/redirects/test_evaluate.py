"""The rule table, the split and the UTM merge: pure functions, no app needed."""
from collections import Counter
from datetime import datetime

import pytest

from webapp.services.codes.target_urls import normalise_url
from webapp.services.redirects import rules
from webapp.services.redirects.evaluate import Visitor, choose, primary_language
from webapp.services.redirects.plan import compile_plan, merge_utm

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0.0.0 Mobile Safari/537.36")
DESKTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0.0.0 Safari/537.36")
BOT = "curl/8.5.0"


def plan_of(redirect, target="https://example.com/", **limits):
    return compile_plan(rules.clean(redirect, normalise_url), target, **limits)


def at(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


TABLE = {"rules": [
    {"when": {"device": "ios", "language": "de"}, "target_url": "https://de.example/ios"},
    {"when": {"device": ["ios"]}, "target_url": "https://example.com/ios"},
    {"when": {"device": "android", "country": ["DE", "AT"]}, "target_url": "https://de.example/android"},
    {"when": {"query": {"src": "flyer"}}, "target_url": "https://example.com/flyer"},
    {"when": {"timezone": "Europe/Berlin", "weekdays": [1, 2, 3, 4, 5], "hours": ["11:00", "15:00"]},
     "target_url": "https://example.com/lunch"},
    {"when": {"after": "2027-01-01T00:00:00Z", "before": "2027-02-01T00:00:00Z"},
     "target_url": "https://example.com/january"},
    {"when": {"device": "desktop"}, "target_url": "https://example.com/desktop"},
]}
MONDAY_NOON_BERLIN = "2026-12-07T11:00:00Z"  # 12:00 in Berlin (CET, UTC+1)
SUNDAY_NOON_BERLIN = "2026-12-06T11:00:00Z"


@pytest.mark.parametrize("ua, language, country, query, now, expected", [
    (IPHONE, "de-DE,de;q=0.9,en;q=0.8", "", "", SUNDAY_NOON_BERLIN, "rule:1"),
    (IPHONE, "en-GB,de;q=0.5", "DE", "", SUNDAY_NOON_BERLIN, "rule:2"),
    (IPHONE, "fr;q=0.2, de;q=0.9", "", "", SUNDAY_NOON_BERLIN, "rule:1"),  # q order, not position
    (ANDROID, "de", "AT", "", SUNDAY_NOON_BERLIN, "rule:3"),
    (ANDROID, "de", "FR", "src=flyer", SUNDAY_NOON_BERLIN, "rule:4"),
    (ANDROID, "de", "FR", "src=poster", SUNDAY_NOON_BERLIN, "default"),
    (ANDROID, "de", "FR", "", MONDAY_NOON_BERLIN, "rule:5"),
    (ANDROID, "", "", "", "2026-12-07T14:00:00Z", "default"),  # 15:00 Berlin: to is excluded
    (ANDROID, "", "", "", "2026-12-07T13:59:00Z", "rule:5"),
    (ANDROID, "", "", "", "2027-01-03T09:00:00Z", "rule:6"),  # a Sunday in January
    (ANDROID, "", "", "", "2027-02-01T00:00:00Z", "default"),  # before is excluded
    (DESKTOP, "de", "DE", "", SUNDAY_NOON_BERLIN, "rule:7"),
    (BOT, "de", "DE", "", SUNDAY_NOON_BERLIN, "default"),
])
def test_rule_table_first_rule_that_holds_wins(ua, language, country, query, now, expected):
    visitor = Visitor(ua, language, country, query, at(now), key="v")
    assert choose(plan_of(TABLE), "code1", visitor)[1] == expected


@pytest.mark.parametrize("now, expected", [
    # Europe/Berlin leaves summer time on 2026-10-25 at 03:00 CEST (01:00 UTC).
    ("2026-10-25T06:59:00Z", "default"),  # 07:59 CET, after the change
    ("2026-10-25T07:00:00Z", "rule:1"),  # 08:00 CET
    ("2026-10-24T06:00:00Z", "rule:1"),  # 08:00 CEST the day before
    ("2026-10-24T05:59:00Z", "default"),
    # and enters it on 2027-03-28 at 02:00 CET (01:00 UTC)
    ("2027-03-28T06:00:00Z", "rule:1"),  # 08:00 CEST
    ("2027-03-28T05:30:00Z", "default"),  # 07:30 CEST
])
def test_local_hours_follow_daylight_saving_time(now, expected):
    plan = plan_of({"rules": [{"when": {"timezone": "Europe/Berlin", "hours": ["08:00", "20:00"]},
                               "target_url": "https://example.com/day"}]})
    assert choose(plan, "c", Visitor(now=at(now)))[1] == expected


@pytest.mark.parametrize("now, expected", [
    ("2026-12-07T22:30:00Z", "rule:1"),  # Monday 23:30 in Berlin
    ("2026-12-08T04:59:00Z", "rule:1"),  # Tuesday 05:59: overnight windows wrap
    ("2026-12-08T05:00:00Z", "default"),
    ("2026-12-07T20:00:00Z", "default"),
])
def test_overnight_window_wraps_midnight(now, expected):
    plan = plan_of({"rules": [{"when": {"timezone": "Europe/Berlin", "hours": ["22:00", "06:00"]},
                               "target_url": "https://example.com/night"}]})
    assert choose(plan, "c", Visitor(now=at(now)))[1] == expected


@pytest.mark.parametrize("now, expected", [
    ("2026-12-11T21:30:00Z", "rule:1"),  # Friday 22:30 in Berlin
    ("2026-12-12T00:30:00Z", "rule:1"),  # Saturday 01:30: still Friday's night
    ("2026-12-12T01:00:00Z", "default"),  # Saturday 02:00: the window closed
    ("2026-12-12T21:30:00Z", "default"),  # Saturday 22:30: Saturday's night is not asked for
    ("2026-12-11T00:30:00Z", "default"),  # Friday 01:30 belongs to Thursday's night
    ("2026-12-10T00:30:00Z", "rule:1"),  # Thursday 01:30 belongs to Wednesday's night
])
def test_an_overnight_window_belongs_to_the_weekday_it_starts_on(now, expected):
    plan = plan_of({"rules": [{"when": {"timezone": "Europe/Berlin", "weekdays": [3, 5],
                                        "hours": ["22:00", "02:00"]},
                               "target_url": "https://example.com/late"}]})
    assert choose(plan, "c", Visitor(now=at(now)))[1] == expected


def test_a_sunday_night_window_holds_into_monday():
    plan = plan_of({"rules": [{"when": {"timezone": "UTC", "weekdays": [7], "hours": ["23:00", "01:00"]},
                               "target_url": "https://example.com/late"}]})
    assert choose(plan, "c", Visitor(now=at("2026-12-07T00:30:00Z")))[1] == "rule:1"  # Monday
    assert choose(plan, "c", Visitor(now=at("2026-12-08T00:30:00Z")))[1] == "default"  # Tuesday


def test_weekday_is_local_to_the_zone():
    # 2026-12-06T23:30Z is Sunday in UTC and already Monday in Tokyo
    plan = plan_of({"rules": [{"when": {"timezone": "Asia/Tokyo", "weekdays": [1]},
                               "target_url": "https://example.com/monday"}]})
    assert choose(plan, "c", Visitor(now=at("2026-12-06T23:30:00Z")))[1] == "rule:1"
    assert choose(plan, "c", Visitor(now=at("2026-12-06T14:30:00Z")))[1] == "default"


def test_query_condition_present_or_value():
    plan = plan_of({"rules": [{"when": {"query": {"ref": None}}, "target_url": "https://a.example/"}]})
    assert choose(plan, "c", Visitor(query_string="ref="))[1] == "rule:1"
    assert choose(plan, "c", Visitor(query_string="other=1"))[1] == "default"
    assert choose(plan, "c", Visitor(query_string="%%%&&=;"))[1] == "default"


@pytest.mark.parametrize("header", [
    "", ",,,,", ";q=", "de;q=abc", "de;q=2", "x" * 10000, "de-DE;q=0.5," * 5000, "\x00\xff",
    "😀;q=1", "*", "en;q=-1", "en;q=nan", "en;q=inf", "1234",
])
def test_hostile_accept_language_never_raises(header):
    plan = plan_of({"rules": [{"when": {"language": "de"}, "target_url": "https://de.example/"}]})
    location, served = choose(plan, "c", Visitor(accept_language=header))
    assert served in ("rule:1", "default")


def test_primary_language():
    assert primary_language("de-CH, en;q=0.8") == "de"
    assert primary_language("en;q=0.3, pt-BR;q=0.9") == "pt"
    assert primary_language("*;q=0.5") == ""


def test_split_follows_weights_and_is_sticky_per_visitor_and_day():
    plan = plan_of({"split": [{"target_url": "https://a.example/", "weight": 70},
                              {"target_url": "https://b.example/", "weight": 20},
                              {"target_url": "https://c.example/", "weight": 10}]})
    now = at("2026-12-07T12:00:00Z")
    served = {f"visitor{n}": choose(plan, "code1", Visitor(now=now, key=f"visitor{n}"))[1]
              for n in range(10_000)}
    shares = Counter(served.values())
    for key, weight in (("split:1", 70), ("split:2", 20), ("split:3", 10)):
        assert abs(shares[key] / 100 - weight) <= 3, shares
    later = at("2026-12-07T23:59:00Z")
    assert all(choose(plan, "code1", Visitor(now=later, key=key))[1] == value
               for key, value in list(served.items())[:500])
    # another code splits the same visitors independently
    other = Counter(choose(plan, "code2", Visitor(now=now, key=key))[1] == value
                    for key, value in served.items())
    assert other[False] > 3000


def test_rules_win_over_split_and_split_over_target():
    plan = plan_of({"rules": [{"when": {"device": "ios"}, "target_url": "https://ios.example/"}],
                    "split": [{"target_url": "https://a.example/", "weight": 1}]})
    assert choose(plan, "c", Visitor(IPHONE)) == ("https://ios.example/", "rule:1")
    assert choose(plan, "c", Visitor(ANDROID)) == ("https://a.example/", "split:1")


@pytest.mark.parametrize("url, utm, expected", [
    ("https://example.com/", {"source": "qr", "medium": "print"},
     "https://example.com/?utm_source=qr&utm_medium=print"),
    ("https://example.com/p?utm_source=mine&x=1", {"source": "qr", "campaign": "spring sale"},
     "https://example.com/p?utm_source=mine&x=1&utm_campaign=spring+sale"),
    ("https://example.com/p?x=1#top", {"term": "a&b=c"}, "https://example.com/p?x=1&utm_term=a%26b%3Dc#top"),
    ("https://example.com/p?utm_content=", {"content": "x"}, "https://example.com/p?utm_content="),
    ("https://example.com/", {}, "https://example.com/"),
])
def test_utm_merge_keeps_what_the_target_has(url, utm, expected):
    assert merge_utm(url, utm) == expected


def test_utm_applies_to_every_target_not_to_expired_url():
    plan = plan_of({"rules": [{"when": {"device": "ios"}, "target_url": "https://ios.example/"}],
                    "utm": {"source": "qr"}}, expired_url="https://example.com/over")
    assert choose(plan, "c", Visitor(IPHONE))[0] == "https://ios.example/?utm_source=qr"
    assert choose(plan, "c", Visitor(ANDROID))[0] == "https://example.com/?utm_source=qr"
    assert plan[4] == "https://example.com/over"


def test_plain_code_has_no_plan():
    assert compile_plan(None, "https://example.com/") is None
    assert compile_plan(None, "https://example.com/", max_scans=5) is not None


@pytest.mark.parametrize("data, field", [
    ({"rulez": []}, "rulez"),
    ({"rules": [{"when": {"devices": "ios"}, "target_url": "https://a.example/"}]}, "rules[0].when.devices"),
    ({"rules": [{"when": {"device": "phone"}, "target_url": "https://a.example/"}]}, "rules[0].when.device"),
    ({"rules": [{"when": {}, "target_url": "https://a.example/", "x": 1}]}, "rules[0].x"),
    ({"rules": [{"when": {}, "target_url": "javascript:alert(1)"}]}, "rules[0].target_url"),
    ({"rules": [{"when": {}, "target_url": ""}]}, "rules[0].target_url"),
    ({"rules": [{"when": {"timezone": "Mars/Olympus"}, "target_url": "https://a.example/"}]},
     "rules[0].when.timezone"),
    ({"rules": [{"when": {"timezone": "../../etc/passwd"}, "target_url": "https://a.example/"}]},
     "rules[0].when.timezone"),
    ({"rules": [{"when": {"after": "2027-02-01T00:00:00Z", "before": "2027-01-01T00:00:00Z"},
                 "target_url": "https://a.example/"}]}, "rules[0].when.before"),
    ({"rules": [{"when": {"after": "tomorrow"}, "target_url": "https://a.example/"}]}, "rules[0].when.after"),
    ({"rules": [{"when": {"hours": ["10:00", "10:00"]}, "target_url": "https://a.example/"}]},
     "rules[0].when.hours"),
    ({"rules": [{"when": {"hours": ["25:00", "26:00"]}, "target_url": "https://a.example/"}]},
     "rules[0].when.hours"),
    ({"rules": [{"when": {"hours": ["10:61", "11:00"]}, "target_url": "https://a.example/"}]},
     "rules[0].when.hours"),
    ({"rules": [{"when": {"weekdays": [0, 8]}, "target_url": "https://a.example/"}]}, "rules[0].when.weekdays"),
    ({"rules": [{"when": {"language": "deutsch!"}, "target_url": "https://a.example/"}]},
     "rules[0].when.language"),
    ({"rules": [{"when": {"country": "Germany"}, "target_url": "https://a.example/"}]}, "rules[0].when.country"),
    ({"rules": [{"when": {"query": ["a"]}, "target_url": "https://a.example/"}]}, "rules[0].when.query"),
    ({"rules": [{"when": {}, "target_url": "https://a.example/"}] * 51}, "rules"),
    ({"rules": "all"}, "rules"),
    ({"split": [{"target_url": "https://a.example/", "weight": 0}]}, "split[0].weight"),
    ({"split": [{"target_url": "https://a.example/", "weight": -5}]}, "split[0].weight"),
    ({"split": [{"target_url": "https://a.example/", "weight": 1.5}]}, "split[0].weight"),
    ({"split": [{"target_url": "https://a.example/", "weight": True}]}, "split[0].weight"),
    ({"split": [{"target_url": "ftp://a.example/", "weight": 1}]}, "split[0].target_url"),
    ({"utm": {"source": "qr", "camp": "x"}}, "utm.camp"),
    ({"utm": {"source": 5}}, "utm.source"),
    ({"utm": {"source": "a\nb"}}, "utm.source"),
])
def test_bad_settings_are_refused_naming_the_field(data, field):
    with pytest.raises(rules.Invalid) as refused:
        rules.clean(data, normalise_url)
    assert field in refused.value.fields
    assert refused.value.status == 422


def test_clean_normalises():
    data = rules.clean({"rules": [{"when": {"device": "IOS", "language": ["DE", "de"], "country": "at",
                                            "hours": [9, "17:30"], "after": "2027-01-01T01:00:00+01:00"},
                                   "target_url": "example.com/x"}],
                        "split": [{"target_url": "https://a.example", "weight": "3"}],
                        "utm": {"source": " qr ", "medium": ""}}, normalise_url)
    assert data == {"rules": [{"when": {"device": ["ios"], "language": ["de"], "country": ["AT"],
                                        "after": "2027-01-01T00:00:00Z", "hours": ["09:00", "17:30"]},
                               "target_url": "https://example.com/x"}],
                    "split": [{"target_url": "https://a.example/", "weight": 3}],
                    "utm": {"source": "qr"}}
    assert rules.clean({"rules": [], "split": None, "utm": {}}, normalise_url) is None
