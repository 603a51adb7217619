"""Bulk create over the API: good rows become codes, bad rows are reported by line."""
import pytest
from sqlalchemy import select

from tests.factories import api_key, make_code, owner_of
from tests.support.bulk import (
    code_count,
    csv_file,
    dynamic_rows,
    read_csv,
    result_files,
    upload,
    zip_entries,
)
from tests.support.qrcodes import decode_png, decode_svg
from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import BackgroundJob, QrCode
from webapp.services.codes import slugs, styles

pytestmark = pytest.mark.settings(BULK_CHUNK_ROWS=3)


@pytest.fixture
def headers(app, owner):
    return api_key(app)


def finished(client, headers, response, run_jobs):
    assert response.status_code == 202, response.get_json()
    job_id = response.json["job_id"]
    assert response.headers["Location"].endswith(f"/api/jobs/{job_id}")
    run_jobs()
    job = client.get(f"/api/jobs/{job_id}", headers=headers).json
    assert job["status"] == "completed", job
    return job


def test_good_rows_become_codes_and_bad_rows_are_reported_with_their_lines(
        app, client, headers, owner, redis, run_jobs):
    lines = [
        "https://shop.example.com/p/1,dynamic,First",
        "javascript:alert(1),dynamic,Script",
        "https://shop.example.com/p/3,dynamic,Third",
        "not a url at all,dynamic,Bad",
        "https://shop.example.com/p/5,weird,Odd kind",
        "https://shop.example.com/p/6,dynamic,Sixth",
        "https://shop.example.com/p/7,dynamic,Seventh,extra",
    ]
    response = upload(client, csv_file(lines), headers)
    assert redis.lrange("rq:queue:low", 0, -1) == [response.json["job_id"].encode()]
    job = finished(client, headers, response, run_jobs)

    assert job["progress"] == {"done": 7, "total": 7, "percent": 100}
    assert job["result"]["created"] == 3 and job["result"]["failed"] == 4
    assert [e["line"] for e in job["errors"]["sample"]] == [3, 5, 6, 8]
    files = result_files(client, job)
    errors = read_csv(files["errors"])
    assert [(e["line"], e["title"]) for e in errors] == [
        ("3", "Script"), ("5", "Bad"), ("6", "Odd kind"), ("8", "Seventh")]
    assert errors[0]["error"].startswith("target_url: javascript: addresses are refused")
    assert errors[2]["error"].startswith("kind: Choose the kind of code")
    assert "has 4 values but the header names 3 columns" in errors[3]["error"]

    made = read_csv(files["csv"])
    assert [(r["line"], r["title"], r["target_url"]) for r in made] == [
        ("2", "First", "https://shop.example.com/p/1"), ("4", "Third", "https://shop.example.com/p/3"),
        ("7", "Sixth", "https://shop.example.com/p/6")]
    images = zip_entries(files["zip"])
    assert sorted(images) == sorted(r["image"] for r in made)
    first = made[0]
    assert first["scan_url"] == f"http://127.0.0.1:5000/s/{first['slug']}"
    assert decode_png(images[first["image"]]) == [first["scan_url"]]
    with app.app_context():
        codes = db.session.scalars(select(QrCode).order_by(QrCode.title)).all()
        assert [c.title for c in codes] == ["First", "Sixth", "Third"]
        assert all(c.workspace_id == owner and c.scannable and c.import_key for c in codes)
        assert all(c.scan_report["views"] and all(row["read"]["zxing-cpp"] for row in c.scan_report["views"]
                                                   if row["kind"] == "clean") for c in codes)
        # The upload is deleted once the job is done.
        key = db.session.get(BackgroundJob, job["id"]).payload["upload_key"]
        assert not get_storage().exists(key)


def test_static_rows_custom_slugs_and_presets(app, client, headers, owner, run_jobs):
    with app.app_context():
        styles.save_preset(owner_of(owner), "Brand blue", {"dark": "#1d3f8f", "module_shape": "rounded"})
        make_code(owner, "taken-one", title="Old", target_url="https://old.example", announce=False)
        db.session.remove()
    header = "target_url,content,kind,title,slug,style"
    lines = [
        ",Ask for today's special,static,Table 12,,",
        "https://shop.example.com/a,,dynamic,Blue,Blue-Code, brand BLUE ",
        "https://shop.example.com/b,,dynamic,Clash,taken-one,",
        "https://shop.example.com/c,,dynamic,Twice,blue-code,",
        "https://shop.example.com/d,,dynamic,Reserved,admin,",
        "https://shop.example.com/e,,dynamic,No such look,,Neon",
        "https://shop.example.com/f,,dynamic,Both,,",
    ]
    job = finished(client, headers, upload(client, csv_file(lines, header=header), headers), run_jobs)

    errors = {int(e["line"]): e["error"] for e in read_csv(result_files(client, job)["errors"])}
    assert errors == {
        4: "slug: The slug “taken-one” is taken; choose another.",
        5: "slug: line 3 of this file already uses “blue-code”; choose another.",
        6: "slug: “admin” is reserved; choose another slug.",
        7: "style: You have no style preset named “Neon”. Your presets: “Brand blue”.",
    }
    made = {r["title"]: r for r in read_csv(result_files(client, job)["csv"])}
    assert set(made) == {"Table 12", "Blue", "Both"}
    assert made["Table 12"]["content"] == "Ask for today's special" and not made["Table 12"]["scan_url"]
    assert made["Blue"]["slug"] == "blue-code"
    images = zip_entries(result_files(client, job)["zip"])
    assert decode_png(images[made["Table 12"]["image"]]) == ["Ask for today's special"]
    with app.app_context():
        blue = db.session.scalar(select(QrCode).where(QrCode.slug == "blue-code"))
        assert blue.style["dark"] == "#1d3f8f" and blue.style["module_shape"] == "rounded"
        db.session.remove()


@pytest.mark.parametrize("fmt, check", [
    ("svg", lambda data, url: decode_svg(data) == [url]),
    ("pdf", lambda data, url: data.startswith(b"%PDF")),
    ("eps", lambda data, url: data.startswith(b"%!PS-Adobe-3.0 EPSF-3.0")),
])
def test_zip_holds_the_chosen_format(app, client, headers, owner, run_jobs, fmt, check):
    job = finished(client, headers, upload(client, csv_file(dynamic_rows(4)), headers, format=fmt),
                   run_jobs)
    files = result_files(client, job)
    made = read_csv(files["csv"])
    images = zip_entries(files["zip"])
    assert len(images) == 4 and all(name.endswith(f".{fmt}") for name in images)
    assert check(images[made[0]["image"]], made[0]["scan_url"])


def test_a_rerun_that_lost_its_checkpoint_finds_its_codes_instead_of_making_them_again(
        app, client, headers, owner, run_jobs):
    """The import key makes creation idempotent per line, even without the checkpoint."""
    response = upload(client, csv_file(dynamic_rows(7)), headers)
    job = finished(client, headers, response, run_jobs)
    slugs_before = {r["line"]: r["slug"] for r in read_csv(result_files(client, job)["csv"])}
    with app.app_context():
        row = db.session.get(BackgroundJob, job["id"])
        # As if a run had committed its codes and died before any checkpoint was seen.
        row.status, row.checkpoint, row.progress_done, row.result = "pending", None, 0, None
        get_storage().put(row.payload["upload_key"], csv_file(dynamic_rows(7)))
        db.session.commit()
        db.session.remove()
    from webapp.services.jobs import queues

    with app.app_context():
        queues.enqueue(job["id"], "bulk.create")
    run_jobs()

    again = client.get(f"/api/jobs/{job['id']}", headers=headers).json
    assert again["status"] == "completed" and again["result"]["created"] == 7
    assert code_count(app, workspace_id=owner) == 7
    rows = read_csv(result_files(client, again)["csv"])
    assert {r["line"]: r["slug"] for r in rows} == slugs_before
    assert len(zip_entries(result_files(client, again)["zip"])) == 7


def test_a_slug_taken_between_the_check_and_the_insert_redoes_the_chunk(
        app, client, headers, owner, run_jobs, monkeypatch):
    calls = []
    real = slugs.codes_with_slugs

    def blind_once(candidates, domain_id=None):
        calls.append(set(candidates))
        if len(calls) == 1:  # the first look misses a code made by someone else meanwhile
            return {}
        return real(candidates, domain_id)

    with app.app_context():
        make_code(owner, "menu", title="Theirs", target_url="https://old.example", announce=False)
        db.session.remove()
    monkeypatch.setattr(slugs, "codes_with_slugs", blind_once)
    data = csv_file(["https://shop.example.com/m,dynamic,Menu,menu",
                     "https://shop.example.com/n,dynamic,Next,"], header="target_url,kind,title,slug")
    job = finished(client, headers, upload(client, data, headers), run_jobs)

    assert job["result"]["created"] == 1
    assert [e["line"] for e in job["errors"]["sample"]] == [2]
    assert code_count(app, workspace_id=owner) == 2  # theirs and "Next"
    assert code_count(app, title="Next") == 1


def test_queries_per_chunk_do_not_grow_with_the_rows(client, app, owner, headers, run_jobs):
    """No query per row: a chunk of 40 rows talks to qr_codes as often as a chunk of 4."""
    from sqlalchemy import event

    app.config["BULK_CHUNK_ROWS"] = 100
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "qr_codes" in statement:
            statements.append(statement.split()[0])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        per_job = []
        for rows in (4, 40):
            statements.clear()
            finished(client, headers, upload(client, csv_file(dynamic_rows(rows, start=rows)), headers),
                     run_jobs)
            per_job.append(sorted(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert per_job[0] == per_job[1]
    assert per_job[0].count("INSERT") == 1 and len(per_job[0]) <= 4, per_job[0]


def test_tags_and_folder_columns(app, client, headers, run_jobs):
    lines = ['https://shop.example.com/p/1,dynamic,One,"summer, sale",Windows',
             "https://shop.example.com/p/2,dynamic,Two,,",
             'https://shop.example.com/p/3,dynamic,Three,"a,b,' + "x" * 51 + '",Windows',
             "https://shop.example.com/p/4,dynamic,Four,summer,"]
    job = finished(client, headers, upload(client, csv_file(lines, header="target_url,kind,title,tags,folder"),
                                           headers), run_jobs)
    assert job["result"]["created"] == 3 and [e["line"] for e in job["errors"]["sample"]] == [4]
    assert job["errors"]["sample"][0]["message"].startswith("tags:")
    items = {c["title"]: c for c in client.get("/api/qr-codes", headers=headers).json["items"]}
    assert (items["One"]["tags"], items["One"]["folder"]) == (["sale", "summer"], "Windows")
    assert (items["Two"]["tags"], items["Two"]["folder"]) == ([], None)
    assert items["Four"]["tags"] == ["summer"]
