"""Sign-up sheets as .xlsx and .csv (docs/api.md §21)."""

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from reedsailing.extensions import db
from reedsailing.models import JoinRequest, Organization, User
from reedsailing.models.blocks import CLUB
from reedsailing.models.signup import PENDING, WAITING
from reedsailing.sheets.services import COLUMNS
from tests.factories import headers, join, make_activity, make_admin, make_org, make_user


def _campus():
    manager = make_user()
    org = make_org(block_id=CLUB, managers=[manager])
    owner = db.session.get(type(manager), org.owner_id)
    act = make_activity(org=org, owner=owner, contain=2, name="周末徒步")
    came = make_user(name="=HYPERLINK(1)", email="came@buaa.edu.cn", contact="13800000000")
    absent = make_user(name="没来的", email="absent@buaa.edu.cn")
    join(act, came)
    join(act, absent)
    waiting = make_user(name="候补的", email="waiting@buaa.edu.cn")
    db.session.add(JoinRequest(act_id=act.id, user_id=waiting.id, state="waiting"))
    db.session.commit()
    client_marks = (act.id, came.id)
    return owner, manager, act, client_marks


def _csv(client, caller, act):
    response = client.get(f"/api/activities/{act.id}/sheet/?format=csv", headers=headers(caller))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert 'filename="activity-' in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_owner_gets_every_row_with_attendance(client):
    owner, manager, act, (act_id, came_id) = _campus()
    client.put(f"/api/activities/{act_id}/attendance/{came_id}/", headers=headers(owner))
    rows = _csv(client, owner, act)
    assert rows[0][:4] == ["序号", "状态", "用户ID", "姓名"]
    table = {row[3]: row for row in rows[1:]}
    assert [row[1] for row in rows[1:]] == ["已报名", "已报名", "候补"]
    # a name that a spreadsheet would run as a formula is quoted
    assert table["'=HYPERLINK(1)"][4] == "came@buaa.edu.cn" and table["'=HYPERLINK(1)"][8] == "是"
    assert table["'=HYPERLINK(1)"][10] == "手动"
    assert table["没来的"][8] == "否" and table["候补的"][7] == "1"


def test_managers_see_masked_addresses_admins_full(client):
    owner, manager, act, _ = _campus()
    masked = _csv(client, manager, act)
    assert {row[4] for row in masked[1:]} == {"c***@buaa.edu.cn", "a***@buaa.edu.cn", "w***@buaa.edu.cn"}
    full = _csv(client, make_admin(), act)
    assert "came@buaa.edu.cn" in {row[4] for row in full[1:]}


def _xlsx(client, caller, act):
    response = client.get(f"/api/activities/{act.id}/sheet/", headers=headers(caller))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["报名表"]
    return book, [
        ["" if v is None else str(v) for v in row] for row in book["报名表"].iter_rows(values_only=True)
    ]


def test_xlsx_and_csv_are_the_same_table(client):
    """One table in both formats: the header row first (no title line above it in the
    workbook), the same columns and the same cells; 签到 is 否 for everyone who has not
    checked in, the waiting list and pending requests included (docs/api.md §21)."""
    owner, manager, act, (act_id, came_id) = _campus()
    pending = make_user(name="待审核的")
    db.session.add(JoinRequest(act_id=act.id, user_id=pending.id, state="pending"))
    db.session.commit()
    client.put(f"/api/activities/{act_id}/attendance/{came_id}/", headers=headers(owner))
    book, workbook_rows = _xlsx(client, owner, act)
    csv_rows = _csv(client, owner, act)
    assert workbook_rows == csv_rows
    assert csv_rows[0] == COLUMNS
    assert [(row[1], row[8]) for row in csv_rows[1:]] == [
        ("已报名", "是"),
        ("已报名", "否"),
        ("候补", "否"),
        ("待审核", "否"),
    ]
    assert book.properties.title.startswith("周末徒步")  # the activity, kept out of the table


def test_sheet_roles_and_bad_input(client):
    owner, manager, act, _ = _campus()
    student = make_user()
    assert client.get(f"/api/activities/{act.id}/sheet/", headers=headers(student)).status_code == 403
    assert client.get(f"/api/activities/{act.id}/sheet/").status_code == 401
    assert client.get("/api/activities/999999/sheet/", headers=headers(owner)).status_code == 404
    bad = client.get(f"/api/activities/{act.id}/sheet/?format=pdf", headers=headers(owner))
    assert bad.status_code == 400 and "format" in bad.json


# ---- contact: the one rule of every answer (docs/security.md "Private details") -------


def _contact_campus():
    """Joined students, a waiting and a pending one (both with a phone number), and a
    waiting one who joined another activity of the organization."""
    owner, manager, act, _ = _campus()
    came = db.session.scalars(select(User).where(User.contact == "13800000000")).one()
    waiting = make_user(name="候补电话", contact="13900000000")
    pending = make_user(name="待审电话", contact="13700000000")
    member = make_user(name="老成员", contact="QQ 12345")
    join(make_activity(org=db.session.get(Organization, act.org_id)), member)
    db.session.add_all(
        [
            JoinRequest(act_id=act.id, user_id=waiting.id, state=WAITING),
            JoinRequest(act_id=act.id, user_id=member.id, state=WAITING),
            JoinRequest(act_id=act.id, user_id=pending.id, state=PENDING),
        ]
    )
    db.session.commit()
    return owner, manager, act, {"came": came, "waiting": waiting, "pending": pending, "member": member}


def _xlsx_table(client, caller, act):
    """The .xlsx sheet's rows, the header first, as the .csv holds them."""
    return _xlsx(client, caller, act)[1]


def _contacts(rows):
    """{user id: 联系方式} of a sheet's table (its first row is the header)."""
    assert rows[0][5] == "联系方式"
    return {int(row[2]): row[5] for row in rows[1:]}


def test_contact_in_the_sheet_follows_the_one_rule(client):
    """Audit item 4: the sheet wrote every waiting and pending student's phone number
    for any manager, while the waiting list and a user's profile hide it."""
    owner, manager, act, students = _contact_campus()
    came, waiting, pending, member = (students[k] for k in ("came", "waiting", "pending", "member"))
    for caller in (manager, owner):
        for table in (_csv(client, caller, act), _xlsx_table(client, caller, act)):
            contacts = _contacts(table)
            assert contacts[came.id] == "13800000000"  # a participant: its organizers see it
            assert contacts[waiting.id] == "" and contacts[pending.id] == ""  # not joined
            assert contacts[member.id] == "QQ 12345"  # joined another activity they manage
    admin = make_admin()
    for table in (_csv(client, admin, act), _xlsx_table(client, admin, act)):
        contacts = _contacts(table)
        assert contacts[waiting.id] == "13900000000" and contacts[pending.id] == "13700000000"


def test_the_sheet_the_lists_and_the_profile_agree_on_contact(client):
    owner, manager, act, _ = _contact_campus()
    for caller in (manager, owner, make_admin()):
        sheet = _contacts(_csv(client, caller, act))
        profiles = {
            user_id: client.get(f"/api/users/{user_id}/", headers=headers(caller)).json["contact"] or ""
            for user_id in sheet
        }
        assert sheet == profiles
        waiting = client.get(f"/api/activities/{act.id}/waitlist/", headers=headers(caller)).json
        pending = client.get(f"/api/activities/{act.id}/requests/", headers=headers(caller)).json
        listed = {entry["person"]["id"]: entry["person"]["contact"] or "" for entry in waiting + pending}
        assert listed and listed == {user_id: sheet[user_id] for user_id in listed}
