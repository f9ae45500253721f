"""The committed migrations build the schema the models describe, up and down."""

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, make_url, text

from config import TestConfig
from reedsailing import create_app
from reedsailing.extensions import db
from reedsailing.models import Block, Category, User
from reedsailing.seed import seed

MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")


@pytest.fixture
def empty_database_url(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    # MariaDB: a database of our own next to the suite's, dropped afterwards.
    parsed = make_url(url)
    name = f"{parsed.database}_mig"
    server = create_engine(parsed.set(database=""))
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    yield parsed.set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    server.dispose()


def test_upgrade_matches_the_models_and_downgrade_empties(empty_database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    app = create_app(Config)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_seed_creates_the_fixed_blocks_and_is_idempotent():
    blocks = {block.id: block.name for block in db.session.query(Block)}
    assert blocks == {1: "社团", 2: "博雅", 3: "学生会", 4: "志愿", 5: "个人"}
    categories = db.session.query(Category).count()
    assert categories >= 5
    assert seed() == {"blocks": 0, "categories": 0, "system_user": 0}
    assert db.session.query(Category).count() == categories
    assert db.session.query(User).filter_by(is_system=True).count() == 1


def test_seed_cli_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0 and "0 blocks" in first.output


def test_0002_signup_up_and_down_keeps_the_rest(empty_database_url):
    """0002_signup adds the waiting list, check-in and attendance tables and takes them
    away again without touching the tables of 0001 (docs/signup.md)."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    app = create_app(Config)
    new_tables = {"join_requests", "checkins", "attendances"}
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0001")
        before = set(inspect(db.engine).get_table_names())
        assert not before & new_tables
        upgrade(directory=MIGRATIONS, revision="0002_signup")
        after = set(inspect(db.engine).get_table_names())
        assert after == before | new_tables
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (openid, name, follow_boya, is_system, created_at) VALUES ('m', 'm', 0, 0, '2026-01-01')"
                )
            )
            conn.execute(text("INSERT INTO blocks (id, name) VALUES (5, '个人')"))
            conn.execute(text("INSERT INTO addresses (name, longitude, latitude) VALUES ('a', 1, 1)"))
            conn.execute(
                text(
                    "INSERT INTO activities (name, begin_time, end_time, pub_time, contain, joined_count, review,"
                    " owner_id, address_id, block_id) VALUES ('x', '2026-01-01', '2026-01-02', '2026-01-01', 1, 0, 1,"
                    " (SELECT id FROM users), (SELECT id FROM addresses), 5)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO join_requests (act_id, user_id, state, created_at) VALUES"
                    " ((SELECT id FROM activities), (SELECT id FROM users), 'pending', '2026-01-01')"
                )
            )
        downgrade(directory=MIGRATIONS, revision="0001")
        assert set(inspect(db.engine).get_table_names()) == before
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM activities")).scalar() == 1
        downgrade(directory=MIGRATIONS, revision="base")
        db.engine.dispose()
