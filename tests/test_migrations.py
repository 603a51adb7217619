"""The schema is only ever made by migrations: they must go up, down and up cleanly."""
import pytest
from sqlalchemy import inspect

from tests.support.backends import create_database, make_config
from webapp.app import create_app
from webapp.extensions import db


@pytest.fixture
def empty_app(db_kind, tmp_path_factory):
    url, drop = create_database(db_kind, tmp_path_factory)
    app = create_app(make_config(url))
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()
    drop()


def tables(app):
    with app.app_context():
        names = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    return names - {"alembic_version"}


def test_upgrade_downgrade_upgrade_then_no_drift(empty_app):
    runner = empty_app.test_cli_runner()
    expected = {t.name for t in db.metadata.sorted_tables}

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert tables(empty_app) == expected

    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert tables(empty_app) == set()

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert tables(empty_app) == expected

    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_check_notices_drift(empty_app):
    """`db check` must fail when the models and the migrations disagree, or the test above proves nothing."""
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code != 0
