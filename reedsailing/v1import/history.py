"""Planning what happened on the platform: activities, joins, comments, feedback,
notices with their deliveries, and the unused tables (docs/switch-over.md, "Rules")."""

from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from reedsailing.core.timeutil import now
from reedsailing.extensions import db
from reedsailing.models import Activity, Comment, Delivery, Feedback, Notice, Participation
from reedsailing.models.blocks import BOYA
from reedsailing.v1import import rules
from reedsailing.v1import.catalog import EXISTING_ELSEWHERE, NOT_A_TIME, limit, picture, text
from reedsailing.v1import.report import CHANGED, LEFT_OUT, MERGED, NOTED, SKIPPED, TableReport
from reedsailing.v1import.source import UNUSED

if TYPE_CHECKING:
    from reedsailing.v1import.run import Planned, Run

UNNAMED_ACTIVITY = "未命名活动"
# The first version kept no course id, so the 博雅 import cannot know these (docs/switch-over.md).
UPCOMING_BOYA = "a 博雅 activity not ended yet: the next 博雅 import adds its course once more"


def _ref(imp: "Run", table: str, value: Any) -> int | None:
    return imp.ids.get(table, {}).get(rules.as_id(value) or 0)


def _joins_per_activity(imp: "Run") -> Counter[int]:
    """Old activity id -> its distinct participants that were imported (the joined_count
    an imported activity starts with)."""
    pairs = set()
    for row in imp.old["BUAA_joinedact"]:
        act, person = rules.as_id(row["act_id"]), _ref(imp, "users", row["person_id"])
        if act is not None and person is not None:
            pairs.add((act, person))
    return Counter(act for act, _ in pairs)


def activities(imp: "Run") -> None:
    report = imp.report.table("BUAA_activity", "activities")
    ours = dict(db.session.execute(select(Activity.id, Activity.pub_time)).all())
    imp.act_times = dict(ours)
    joins = _joins_per_activity(imp)
    moment = now()
    ids = imp.ids["activities"] = {}
    planned: list[Planned] = []
    for old_id, row in imp.rows("BUAA_activity", report):
        times = {column: rules.as_time(row[column]) for column in ("begin_time", "end_time", "pub_time")}
        unreadable = [column for column, value in times.items() if value is None]
        if unreadable:
            report.note(SKIPPED, NOT_A_TIME.format(unreadable[0]), old_id)
            continue
        begin, end, published = times["begin_time"], times["end_time"], times["pub_time"]
        assert begin is not None and end is not None and published is not None
        if old_id in ours:
            if ours[old_id] == published:
                report.existing += 1
                ids[old_id] = old_id
            else:
                report.note(SKIPPED, EXISTING_ELSEWHERE.format("activity"), old_id)
            continue
        block = _ref(imp, "blocks", row["block_id"])
        location = _ref(imp, "addresses", row["location_id"])
        if block == BOYA:
            owner: int | None = imp.system_id
            report.note(
                CHANGED, "a 博雅 activity: owned by the 博雅 system account, as the 博雅 import does", old_id
            )
            if end >= moment:
                report.note(NOTED, UPCOMING_BOYA, old_id)
        else:
            owner = _ref(imp, "users", row["owner_id"])
        if block is None or location is None or owner is None:
            missing = "block" if block is None else "address" if location is None else "owner"
            report.note(SKIPPED, f"its {missing} was not imported", old_id)
            continue
        org = _optional(imp, "organizations", row["org_id"], report, old_id, "organization")
        category = _optional(imp, "categories", row["type_id"], report, old_id, "category")
        name = (text(row["name"], Activity, "name", report, old_id) or "").strip()
        if not name:
            name = UNNAMED_ACTIVITY
            report.note(CHANGED, f"empty name: named {UNNAMED_ACTIVITY}", old_id)
        if end < begin:
            end = begin
            report.note(CHANGED, "ends before it begins: the end is set to the begin", old_id)
        contain = rules.as_int(row["contain"])
        if contain is None or contain < 0 or contain >= 2**31:
            contain = 0
            report.note(CHANGED, "capacity unreadable or negative: 0 (nobody new can join)", old_id)
        if joins[old_id] > contain:
            report.note(CHANGED, "more participants than places: kept, and nobody new can join", old_id)
        description = text(row["description"], Activity, "description", report, old_id)
        if description is None:
            report.note(CHANGED, "description NULL: kept NULL (the new system takes none)", old_id)
        keywords = rules.keywords(rules.as_text(row["keywords"]), limit(Activity, "keywords"))
        if not keywords:
            keywords = _extract(name, description)
            report.note(CHANGED, "keywords NULL or empty: extracted from name and description", old_id)
        planned.append(
            (
                old_id,
                {
                    "id": old_id,
                    "name": name,
                    "begin_time": begin,
                    "end_time": end,
                    "pub_time": published,
                    "contain": contain,
                    "joined_count": joins[old_id],
                    "description": description,
                    "review": rules.as_bool(row["review"]),
                    "avatar": picture(imp, row["avatar"], Activity, "activity", old_id, report),
                    "keywords": keywords,
                    "owner_id": owner,
                    "category_id": category,
                    "org_id": org,
                    "address_id": location,
                    "block_id": block,
                    "boya_course_id": None,
                    "reminded_at": None,
                    "sequence": 0,
                    "modified_at": None,
                },
                old_id,
            )
        )
        ids[old_id] = old_id
        imp.act_times[old_id] = published
    imp.write(Activity, planned, report, imp.forget_id("activities"))


def _optional(imp: "Run", table: str, value: Any, report: TableReport, old_id: int, what: str) -> int | None:
    """A nullable reference: NULL (noted) when the row it names was not imported."""
    if rules.as_id(value) is None:
        return None
    found = _ref(imp, table, value)
    if found is None:
        report.note(CHANGED, f"its {what} was not imported: kept without {what}", old_id)
    return found


def _extract(name: str, description: str | None) -> str:
    # jieba costs ~150 MB and a second to load: only when some activity needs it
    from reedsailing.activities.services.keywords import extract_keywords

    return extract_keywords(name, description)


def participations(imp: "Run") -> None:
    """Joins, one per student and activity (duplicates merged, the lowest id stays).
    The first version kept no join time: an imported join carries the activity's
    publication time. Over-capacity activities keep all their participants."""
    report = imp.report.table("BUAA_joinedact", "participations")
    ours = set(db.session.execute(select(Participation.act_id, Participation.user_id)).tuples())
    taken = set(db.session.scalars(select(Participation.id)))
    planned: list[Planned] = []
    seen: set[tuple[int, int]] = set()
    for old_id, row in imp.rows("BUAA_joinedact", report):
        act, person = _ref(imp, "activities", row["act_id"]), _ref(imp, "users", row["person_id"])
        if act is None or person is None:
            report.note(
                SKIPPED,
                "its activity was not imported" if act is None else "its student was not imported",
                old_id,
            )
            continue
        pair = (act, person)
        if pair in ours:
            report.existing += 1
            continue
        if pair in seen:
            report.note(MERGED, "a second join of the same student to the same activity", old_id)
            continue
        seen.add(pair)
        new_id = _free_id(imp, "participations", old_id, taken, report)
        planned.append(
            (old_id, {"id": new_id, "act_id": act, "user_id": person, "joined_at": imp.act_times[act]}, pair)
        )
    imp.write(Participation, planned, report, lambda key: None)


def _free_id(imp: "Run", table: str, old_id: int, taken: set[int], report: TableReport) -> int:
    new_id = old_id
    if old_id in taken:
        new_id = imp.allocate(table, taken)
        report.note(CHANGED, "its id belongs to another row here: a new id", f"{old_id}->{new_id}")
    taken.add(new_id)
    return new_id


def comments(imp: "Run") -> None:
    """One comment per student and activity, as the new system allows: of several, the
    newest (latest pub_time, then highest id) stays. Scores go into the app's range."""
    report = imp.report.table("BUAA_comment", "comments")
    ours = set(db.session.execute(select(Comment.act_id, Comment.user_id)).tuples())
    taken = set(db.session.scalars(select(Comment.id)))
    best: dict[tuple[int, int], tuple[Any, int, Any]] = {}
    for old_id, row in imp.rows("BUAA_comment", report):
        act, user = _ref(imp, "activities", row["act_id"]), _ref(imp, "users", row["user_id"])
        published = rules.as_time(row["pub_time"])
        if act is None or user is None or published is None:
            why = (
                "its activity was not imported"
                if act is None
                else "its student was not imported"
                if user is None
                else NOT_A_TIME.format("pub_time")
            )
            report.note(SKIPPED, why, old_id)
            continue
        pair = (act, user)
        if pair in ours:
            report.existing += 1
            continue
        kept = best.get(pair)
        if kept is not None and (kept[0], kept[1]) > (published, old_id):
            report.note(
                MERGED, "an older comment of the same student on the same activity: the newest stays", old_id
            )
            continue
        if kept is not None:
            report.note(
                MERGED, "an older comment of the same student on the same activity: the newest stays", kept[1]
            )
        best[pair] = (published, old_id, row)
    planned: list[Planned] = []
    for (act, user), (published, old_id, row) in sorted(best.items(), key=lambda item: item[1][1]):
        score, changed = rules.score(row["score"])
        if changed:
            report.note(CHANGED, "score outside 0-5 or between half points: clamped and rounded", old_id)
        planned.append(
            (
                old_id,
                {
                    "id": _free_id(imp, "comments", old_id, taken, report),
                    "content": text(row["content"], Comment, "content", report, old_id),
                    "score": score,
                    "pub_time": published,
                    "act_id": act,
                    "user_id": user,
                },
                (act, user),
            )
        )
    imp.write(Comment, planned, report, lambda key: None)


def feedback(imp: "Run") -> None:
    report = imp.report.table("BUAA_userfeedback", "feedbacks")
    ours = dict(db.session.execute(select(Feedback.id, Feedback.pub_time)).all())
    planned: list[Planned] = []
    for old_id, row in imp.rows("BUAA_userfeedback", report):
        published = rules.as_time(row["pub_time"])
        user = _ref(imp, "users", row["user_id"])
        if published is None or user is None:
            report.note(
                SKIPPED,
                NOT_A_TIME.format("pub_time") if published is None else "its student was not imported",
                old_id,
            )
            continue
        if old_id in ours:
            if ours[old_id] == published:
                report.existing += 1
            else:
                report.note(SKIPPED, EXISTING_ELSEWHERE.format("feedback"), old_id)
            continue
        content = text(row["content"], Feedback, "content", report, old_id) or ""
        planned.append(
            (old_id, {"id": old_id, "content": content, "pub_time": published, "user_id": user}, old_id)
        )
    imp.write(Feedback, planned, report, lambda key: None)


def notices(imp: "Run") -> None:
    """Notices with their texts as sent (types 1-10 mean the same here). A link to an
    activity or organization that was not imported is NULL, as after a deletion here."""
    report = imp.report.table("BUAA_notification", "notices")
    ours = dict(db.session.execute(select(Notice.id, Notice.time)).all())
    ids = imp.ids["notices"] = {}
    planned: list[Planned] = []
    for old_id, row in imp.rows("BUAA_notification", report):
        sent = rules.as_time(row["time"])
        kind = rules.as_int(row["type"])
        if sent is None or kind is None or not 0 <= kind < 2**15:
            report.note(
                SKIPPED, NOT_A_TIME.format("time") if sent is None else "type is not a notice type", old_id
            )
            continue
        if old_id in ours:
            if ours[old_id] == sent:
                report.existing += 1
                ids[old_id] = old_id
            else:
                report.note(SKIPPED, EXISTING_ELSEWHERE.format("notice"), old_id)
            continue
        planned.append(
            (
                old_id,
                {
                    "id": old_id,
                    "type": kind,
                    "time": sent,
                    "content": text(row["content"], Notice, "content", report, old_id) or "",
                    "act_id": _optional(imp, "activities", row["act_id"], report, old_id, "activity"),
                    "org_id": _optional(imp, "organizations", row["org_id"], report, old_id, "organization"),
                },
                old_id,
            )
        )
        ids[old_id] = old_id
    imp.write(Notice, planned, report, imp.forget_id("notices"))


def deliveries(imp: "Run") -> None:
    """One delivery per notice and student, with its read flag; of duplicates the
    lowest id stays, unread when any of them was."""
    report = imp.report.table("BUAA_sentnotif", "deliveries")
    ours = set(db.session.execute(select(Delivery.notice_id, Delivery.user_id)).tuples())
    taken = set(db.session.scalars(select(Delivery.id)))
    planned: list[Planned] = []
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for old_id, row in imp.rows("BUAA_sentnotif", report):
        notice, person = _ref(imp, "notices", row["notif_id"]), _ref(imp, "users", row["person_id"])
        if notice is None or person is None:
            report.note(
                SKIPPED,
                "its notice was not imported" if notice is None else "its student was not imported",
                old_id,
            )
            continue
        pair = (notice, person)
        read = rules.as_bool(row["already_read"])
        if pair in ours:
            report.existing += 1
        elif pair in rows:
            report.note(
                MERGED,
                "a second delivery of the same notice to the same student (unread if either was)",
                old_id,
            )
            rows[pair]["read"] = rows[pair]["read"] and read
        else:
            rows[pair] = {
                "id": _free_id(imp, "deliveries", old_id, taken, report),
                "notice_id": notice,
                "user_id": person,
                "read": read,
            }
            planned.append((old_id, rows[pair], pair))
    imp.write(Delivery, planned, report, lambda key: None)


def unused(imp: "Run") -> None:
    """Tables no API of the first version wrote: counted, left out."""
    for table in UNUSED:
        if imp.old.unused.get(table):
            report = imp.report.table(table, "-")
            report.read = len(imp.old.unused[table])
            for row_id in imp.old.unused[table]:
                report.note(LEFT_OUT, "a table the first version never used", row_id)
            imp.progress.update(report.read)


STEPS = (activities, participations, comments, feedback, notices, deliveries, unused)
