import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# Keep the app's own loggers alive when migrations run inside it (tests, release).
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def include_object(obj, name, type_, reflected, compare_to):
    """Leaves out of the comparison what the models mark for another database only
    (`info={"only_on": "postgresql"}`, e.g. trigram indexes), so `db check` stays
    clean on every database."""
    only_on = getattr(obj, "info", {}).get("only_on")
    if only_on and not reflected:
        return get_engine().dialect.name == only_on
    return True


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            include_object=include_object,
            **conf_args
        )

        with sqlite_foreign_keys_off(connection):
            with context.begin_transaction():
                context.run_migrations()


@contextmanager
def sqlite_foreign_keys_off(connection):
    """On SQLite, runs the migrations with foreign keys off, and checks them after.

    Batch mode changes a table by copying it and dropping the original; with foreign
    keys on, SQLite's DROP TABLE first deletes the table's rows, and ON DELETE CASCADE
    then deletes every row that refers to them: 0013's copy of qr_codes emptied
    scan_events, scan_counters and the rollups, its copy of webhook_endpoints the
    outbox. The pragma only takes effect outside a transaction, so it is set before the
    migrations begin (each commits its own, SQLite's DDL not being transactional here)."""
    if connection.dialect.name != 'sqlite':
        yield
        return
    connection.exec_driver_sql('PRAGMA foreign_keys=OFF')
    if connection.exec_driver_sql('PRAGMA foreign_keys').scalar() != 0:
        raise RuntimeError('could not turn foreign keys off for the migrations (inside a transaction?)')
    try:
        yield
        if connection.in_transaction():
            connection.commit()
        broken = connection.exec_driver_sql('PRAGMA foreign_key_check').all()
        if broken:
            raise RuntimeError(f'the migrations left rows whose foreign keys point nowhere: {broken[:10]}')
    finally:
        if connection.in_transaction():
            connection.rollback()
        # The connection goes back to the pool: it must enforce foreign keys again.
        connection.exec_driver_sql('PRAGMA foreign_keys=ON')
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
