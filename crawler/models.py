"""Typed course records, parsed from the site's course objects (docs/boya.md)."""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser

from crawler.errors import InvalidCourse

SITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Course:
    """One 博雅 course as the site describes it (times are naive Beijing time)."""

    id: int
    name: str
    place: str
    teacher: str
    organizer: str
    kinds: tuple[str, ...]
    start: datetime
    end: datetime
    enrol_start: datetime | None
    enrol_end: datetime | None
    withdraw_end: datetime | None
    capacity: int
    enrolled: int | None
    description: str
    campuses: tuple[str, ...] = ()


def parse_course(raw):
    """A `Course` from one object of `data.content`; raises InvalidCourse when a
    required field is missing or malformed."""
    if not isinstance(raw, dict):
        raise InvalidCourse(f"a course is a JSON object, not {type(raw).__name__}")
    course_id = _integer(raw, "id", None)
    if course_id is None or course_id <= 0:
        raise InvalidCourse("course without a valid id")
    try:
        name = _text(raw.get("courseName"))
        if not name:
            raise InvalidCourse("course without a name")
        start = _time(raw, "courseStartDate", required=True)
        end = _time(raw, "courseEndDate", required=True)
        if end < start:
            raise InvalidCourse(f"course ends ({end}) before it starts ({start})")
        capacity = _integer(raw, "courseMaxCount", None)
        if capacity is None or capacity < 0:
            raise InvalidCourse("course without a valid capacity (courseMaxCount)")
        enrolled = _integer(raw, "courseCurrentCount", None)
        return Course(
            id=course_id,
            name=name,
            place=_text(raw.get("coursePosition")),
            teacher=_text(raw.get("courseTeacher")),
            organizer=_text(raw.get("courseContact")),
            kinds=tuple(k for k in (_kind(raw.get("courseNewKind1")), _kind(raw.get("courseNewKind2"))) if k),
            start=start,
            end=end,
            enrol_start=_time(raw, "courseSelectStartDate"),
            enrol_end=_time(raw, "courseSelectEndDate"),
            withdraw_end=_time(raw, "courseCancelEndDate"),
            capacity=capacity,
            enrolled=enrolled,
            description=html_to_text(raw.get("courseDesc")),
            campuses=_campuses(raw.get("courseCampus")),
        )
    except InvalidCourse as error:
        error.course_id = course_id
        raise


def _text(value):
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)):
        raise InvalidCourse(f"expected text, got {type(value).__name__}")
    return " ".join(str(value).split())


def _integer(raw, key, default):
    value = raw.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidCourse(f"{key} is not a number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise InvalidCourse(f"{key} is not a number: {value!r}")


def _time(raw, key, required=False):
    value = raw.get(key)
    if value in (None, ""):
        if required:
            raise InvalidCourse(f"course without {key}")
        return None
    if not isinstance(value, str):
        raise InvalidCourse(f"{key} is not a time: {value!r}")
    try:
        return datetime.strptime(value.strip(), SITE_TIME_FORMAT)
    except ValueError as error:
        raise InvalidCourse(f"{key} is not a 'YYYY-MM-DD HH:MM:SS' time: {value!r}") from error


def _kind(value):
    if isinstance(value, dict):
        return _text(value.get("kindName"))
    return ""


def _campuses(value):
    """`courseCampus` is JSON text (a list of names); anything else counts as none."""
    if isinstance(value, list):
        items = value
    elif isinstance(value, str) and value.strip():
        try:
            items = json.loads(value)
        except ValueError:
            return (value.strip(),)
        if not isinstance(items, list):
            items = [items]
    else:
        return ()
    return tuple(name for name in (_text(item) for item in items if isinstance(item, (str, int))) if name)


# Tags after which the text continues on a new line.
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "table",
    "ul",
    "ol",
}


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html):
    """Plain text of an HTML fragment: tags dropped, entities decoded, one line per
    paragraph, runs of blank space collapsed."""
    if not html or not isinstance(html, str):
        return ""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    text = "".join(collector.parts).replace("\xa0", " ")
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
