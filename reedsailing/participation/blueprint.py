from flask import Blueprint

bp = Blueprint("participation", __name__, url_prefix="/api")
