from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reedsailing.core.errors import FieldError
from reedsailing.extensions import db
from reedsailing.models import Admin


def create_admin(username, password, email=None):
    """Create a super admin; the username must be new."""
    username = username.strip()
    if db.session.execute(select(Admin.id).where(Admin.username == username)).first():
        raise FieldError({"username": ["该用户名已存在。"]})
    admin = Admin(username=username, email=email)
    admin.set_password(password)
    db.session.add(admin)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise FieldError({"username": ["该用户名已存在。"]}) from error
    return admin


def authenticate(username, password):
    """The admin with these credentials, or None."""
    admin = db.session.execute(select(Admin).where(Admin.username == username)).scalar_one_or_none()
    if admin is None or not admin.check_password(password):
        return None
    return admin
