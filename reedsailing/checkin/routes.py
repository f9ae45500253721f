"""Check-in and attendance routes (docs/api.md §21)."""

from flask_limiter.util import get_remote_address

from reedsailing.apidocs.spec import doc
from reedsailing.checkin import services
from reedsailing.checkin.blueprint import bp
from reedsailing.checkin.schemas import CheckInBody, CodeResult, MarkResult, OpenBody, QrQuery, SummarySchema
from reedsailing.core.errors import ApiError
from reedsailing.core.http import json_body, load, query_params
from reedsailing.security import auth
from reedsailing.security.ratelimit import limiter

open_body = OpenBody()
check_in_body = CheckInBody()
qr_query = QrQuery()
code_result = CodeResult()
mark_result = MarkResult()
summary_schema = SummarySchema()
# Per student only: a lecture hall checks in from one campus address.
GUESS_LIMIT = "10/minute"


def _student_key() -> str:
    try:
        user = auth.current_user()
    except ApiError:
        user = None
    return f"user:{user.id}" if user is not None else f"ip:{get_remote_address()}"


@bp.post("/activities/<int:activity_id>/checkin/open/")
@doc(body=OpenBody, response=CodeResult)
@auth.login_required
def open_checkin(activity_id):
    """Open check-in: a new 6-digit code valid for `minutes` (owner, managers, admins)."""
    data = load(open_body)
    checkin = services.open_checkin(auth.principal(), activity_id, data["minutes"])
    return code_result.dump(checkin)


@bp.get("/activities/<int:activity_id>/checkin/code/")
@doc(response=CodeResult)
@auth.login_required
def current_code(activity_id):
    """The open code (owner, managers, admins); 404 when not open or expired."""
    return code_result.dump(services.current_code(auth.principal(), activity_id))


@bp.get("/activities/<int:activity_id>/checkin/qrcode/")
@doc(query=QrQuery, media=("image/png",))
@auth.login_required
def checkin_qrcode(activity_id):
    """A PNG QR code of the open code, for the screen at the door (owner, managers, admins)."""
    width = qr_query.load(query_params())["width"]
    image = services.qr_image(auth.principal(), activity_id, width)
    return image, 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}


@bp.post("/activities/<int:activity_id>/checkin/")
@doc(body=CheckInBody, response=MarkResult, status=201, errors=(429,))
@auth.user_required
@limiter.limit(GUESS_LIMIT, key_func=_student_key, scope="checkin-caller")
def check_in(activity_id):
    """Check in with the code (participants, during the activity's time window)."""
    data = load(check_in_body)
    return mark_result.dump(services.check_in(auth.current_user(), activity_id, data["code"])), 201


@bp.get("/activities/<int:activity_id>/attendance/")
@doc(response=SummarySchema)
@auth.login_required
def attendance(activity_id):
    """Attendance figures and the attendees (owner, managers, admins)."""
    return summary_schema.dump(services.attendance_summary(auth.principal(), activity_id))


@bp.put("/activities/<int:activity_id>/attendance/<int:person_id>/")
@doc(response=MarkResult, errors=(400,))
@auth.login_required
def mark_attendance(activity_id, person_id):
    """Mark a participant present by hand (owner, managers, admins)."""
    json_body()  # nothing to read, but a body that is not an object is refused (api.md §1.3)
    return mark_result.dump(services.mark(auth.principal(), activity_id, person_id))


@bp.delete("/activities/<int:activity_id>/attendance/<int:person_id>/")
@doc(status=204)
@auth.login_required
def unmark_attendance(activity_id, person_id):
    """Take back an attendance (owner, managers, admins)."""
    services.unmark(auth.principal(), activity_id, person_id)
    return "", 204
