from flask import Blueprint

bp = Blueprint("charts", __name__, url_prefix="/api", template_folder="templates")
