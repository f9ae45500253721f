from flask import Blueprint

bp = Blueprint("messages", __name__, url_prefix="/api")
