"""The transaction boundary and default deny (docs/architecture.md): service functions
flush, the request / CLI command / job commits once; every view declares who may call it."""

import ast
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from reedsailing.core.db import commit_at_the_boundary, unit_of_work
from reedsailing.core.errors import bad_request
from reedsailing.extensions import db
from reedsailing.models import Category
from reedsailing.security.auth import refuse_unguarded_views

PACKAGE = Path(__file__).resolve().parents[1] / "reedsailing"


def committed_names():
    """What another connection sees: only what was committed."""
    with db.engine.connect() as connection:
        return set(connection.execute(text("SELECT name FROM categories")).scalars())


def test_only_the_boundary_commits():
    """`db.session.commit()` appears in core/db.py alone (the request, unit_of_work)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).as_posix() == "core/db.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
                and ast.unparse(node.func.value) == "db.session"
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == [], "commits outside the boundary: " + ", ".join(offenders)


def test_a_view_that_answers_commits_once_and_one_that_raises_writes_nothing():
    @commit_at_the_boundary
    def succeeding():
        db.session.add(Category(name="边界甲"))
        db.session.flush()
        return "ok"

    @commit_at_the_boundary
    def failing():
        db.session.add(Category(name="边界乙"))
        db.session.flush()  # written in the transaction, then the operation refuses
        raise bad_request("不行。")

    assert succeeding() == "ok"
    with pytest.raises(Exception, match="不行"):
        failing()
    names = committed_names()
    assert "边界甲" in names and "边界乙" not in names
    assert db.session.scalar(select(Category.id).where(Category.name == "边界乙")) is None


def test_a_unit_of_work_commits_at_its_end_and_rolls_back_on_error():
    with unit_of_work():
        db.session.add(Category(name="作业甲"))
    with pytest.raises(RuntimeError), unit_of_work():
        db.session.add(Category(name="作业乙"))
        db.session.flush()
        raise RuntimeError("job failed")
    names = committed_names()
    assert "作业甲" in names and "作业乙" not in names


def test_every_view_of_the_app_declares_its_access_rule(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in ("static", "apispec")
        and not endpoint.startswith("swagger_ui")
        and getattr(view, "_auth", None) is None
    ]
    assert undeclared == []


def test_an_app_with_a_view_without_an_access_rule_refuses_to_start():
    app = Flask("default-deny")

    @app.get("/api/forgotten/")
    def forgotten():
        return {}

    with pytest.raises(RuntimeError, match="forgotten"):
        refuse_unguarded_views(app)


def test_a_read_needs_no_commit_and_a_write_is_noticed_however_it_is_made():
    from sqlalchemy import update

    from reedsailing.core.db import has_writes

    db.session.rollback()
    db.session.scalars(select(Category)).all()
    assert not has_writes()
    db.session.execute(update(Category).where(Category.id == -1).values(name="无"))  # Core DML
    assert has_writes()
    db.session.rollback()
    assert not has_writes()
    db.session.add(Category(name="待写"))  # pending, not flushed yet
    assert has_writes()
    db.session.rollback()


def test_a_released_savepoint_is_no_commit():
    """SQLAlchemy fires after_commit for a released savepoint too: what waits for the
    commit (file removals, pushes) and the note that the unit wrote must wait for the
    real one."""
    from reedsailing.core.db import has_writes, on_commit

    ran = []
    db.session.add(Category(name="保存点前"))
    db.session.flush()
    on_commit(lambda: ran.append("after the commit"))
    with db.session.begin_nested():
        db.session.add(Category(name="保存点内"))
    assert ran == [] and has_writes()
    db.session.commit()
    assert ran == ["after the commit"] and not has_writes()
