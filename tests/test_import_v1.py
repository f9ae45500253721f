"""`manage.py import-v1` (docs/switch-over.md): the first version's console passwords."""

from sqlalchemy import select

from reedsailing.core.legacy_passwords import check_django_password, is_django_hash
from reedsailing.extensions import db
from reedsailing.models import Admin

KNOWN = "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="


def test_django_hashes_are_checked_without_django():
    # Django 3.2's own known answer (auth_tests.test_hashers, make_password("lètmein", "seasalt"))
    known = "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo="
    assert check_django_password("lètmein", known)
    assert not check_django_password("lètmeinz", known)
    for broken in (
        "pbkdf2_sha256$x$salt$hash",
        "pbkdf2_sha256$0$salt$hash",
        "bcrypt$2b$12$abc",
        "!unusable",
        "",
    ):
        assert not check_django_password("pw", broken)
    assert Admin(password_hash="bcrypt_sha256$$2b$12$whatever").check_password("pw") is False


def test_a_django_hash_logs_in_once_and_is_ours_afterwards(client):
    db.session.add(Admin(username="root", password_hash=KNOWN))
    db.session.commit()
    assert (
        client.post("/api/adminLogIn/", json={"username": "root", "password": "wrong"}).json["success"]
        == "false"
    )
    answer = client.post("/api/adminLogIn/", json={"username": "root", "password": "lètmein"})
    assert answer.json["success"] == "true"
    stored = db.session.execute(select(Admin.password_hash).where(Admin.username == "root")).scalar_one()
    assert not is_django_hash(stored) and stored.split(":")[0] in ("scrypt", "pbkdf2")
    assert client.post("/api/identify/", json={"token": answer.json["token"]}).json == {
        "status": 1,
        "name": "root",
    }
    assert (
        client.post("/api/adminLogIn/", json={"username": "root", "password": "lètmein"}).json["success"]
        == "true"
    )
