from flask import Blueprint

bp = Blueprint("blocks", __name__, url_prefix="/api")
