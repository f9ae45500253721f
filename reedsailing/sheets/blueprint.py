from flask import Blueprint

bp = Blueprint("sheets", __name__, url_prefix="/api")
