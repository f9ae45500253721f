from flask import Blueprint

bp = Blueprint("feeds", __name__, url_prefix="/api")
