"""The crawler against a fake course site (a real HTTP server with its own RSA keys)."""

import socket
import subprocess
import sys
from datetime import datetime

import pytest

from crawler import (
    BykcClient,
    InvalidCourse,
    LoginFailed,
    ProtocolChanged,
    SiteDown,
    TokenExpired,
    parse_course,
)
from crawler.models import html_to_text
from tests.support.fake_bykc import FakeBykc, course


@pytest.fixture
def site():
    fake = FakeBykc(courses=[course(i) for i in range(1, 4)]).start()
    yield fake
    fake.stop()


def test_happy_path_logs_in_through_cas_and_reads_typed_courses(site):
    client = BykcClient(**site.client_args())
    records = client.fetch_course_records()
    assert [r["id"] for r in records] == [1, 2, 3]
    assert site.logins == 1
    first = parse_course(records[0])
    assert first.id == 1
    assert first.name == "博雅课程1"
    assert first.place == "学院路校区主楼219教室"
    assert first.teacher == "张老师"
    assert first.organizer == "校团委"
    assert first.kinds == ("博雅课程", "美育")
    assert first.campuses == ("学院路校区",)
    assert first.capacity == 100 and first.enrolled == 10
    assert first.description == "一次关于 音乐的讲座\n欢迎参加"
    assert first.start < first.end
    assert first.enrol_start < first.enrol_end < first.withdraw_end < first.start
    # The server checked every request's ak/sk/body; the token is reused, no second login.
    assert client.check_login()["employeeId"] == site.username
    assert site.logins == 1


def test_paging_reads_every_page(site):
    site.courses = [course(i) for i in range(1, 8)]
    client = BykcClient(**site.client_args(page_size=3))
    records = client.fetch_course_records()
    assert [r["id"] for r in records] == list(range(1, 8))
    pages = [body["pageNumber"] for api, body in site.api_calls if api == "queryStudentSemesterCourseByPage"]
    assert pages == [1, 2, 3]


def test_paging_when_the_site_caps_the_page_size(site):
    site.courses = [course(i) for i in range(1, 6)]
    site.max_page_size = 2
    records = BykcClient(**site.client_args()).fetch_course_records()
    assert [r["id"] for r in records] == [1, 2, 3, 4, 5]


def test_empty_semester_is_an_empty_list(site):
    site.courses = []
    assert BykcClient(**site.client_args()).fetch_course_records() == []


def test_wrong_password_is_login_failed(site):
    client = BykcClient(**site.client_args(password="wrong"))
    with pytest.raises(LoginFailed):
        client.fetch_course_records()
    assert site.api_calls == []


def test_expired_token_logs_in_once_more_and_retries(site):
    client = BykcClient(**site.client_args())
    client.fetch_course_records()
    site.expire_tokens()
    records = client.fetch_course_records()
    assert len(records) == 3
    assert site.logins == 2


def test_expiry_shown_as_an_undecryptable_page_also_relogs_in(site):
    site.expired_as_garbage = True
    client = BykcClient(**site.client_args())
    client.check_login()
    site.expire_tokens()
    assert len(client.fetch_course_records()) == 3
    assert site.logins == 2


def test_token_refused_even_after_fresh_login_is_token_expired(site):
    site.reject_all_tokens = True
    client = BykcClient(**site.client_args())
    with pytest.raises(TokenExpired):
        client.fetch_course_records()
    assert site.logins == 2  # exactly one re-login, no loop


def test_garbled_response_is_protocol_changed(site):
    site.garble = True
    client = BykcClient(**site.client_args())
    with pytest.raises(ProtocolChanged):
        client.fetch_course_records()
    assert site.logins == 2


def test_login_page_without_execution_is_protocol_changed(site, monkeypatch):
    import tests.support.fake_bykc as fake_module

    monkeypatch.setattr(fake_module, "LOGIN_PAGE", "<html><body>新版登录页{execution}{error}</body></html>")
    with pytest.raises(ProtocolChanged):
        BykcClient(**site.client_args()).login()


def test_site_down_is_site_down_quickly():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = []
    client = BykcClient(
        f"http://127.0.0.1:{port}/sscv",
        f"http://127.0.0.1:{port}/sso/login",
        "u",
        "p",
        FakeBykc().public_key_b64,
        timeout=1,
        retries=2,
        backoff=0.5,
        sleep=sleeps.append,
    )
    with pytest.raises(SiteDown):
        client.fetch_course_records()
    assert sleeps == [0.5, 1.0]  # exponential backoff between the three attempts


def test_slow_site_times_out_as_site_down(site):
    site.slow_seconds = 5
    client = BykcClient(**site.client_args(timeout=0.2, retries=1))
    with pytest.raises(SiteDown, match="did not answer"):
        client.fetch_course_records()


def test_5xx_is_retried_then_succeeds(site):
    site.fail_5xx = 1
    records = BykcClient(**site.client_args(retries=1)).fetch_course_records()
    assert len(records) == 3


def test_5xx_every_time_is_site_down(site):
    site.fail_5xx = 10
    with pytest.raises(SiteDown, match="502"):
        BykcClient(**site.client_args(retries=2)).fetch_course_records()


def test_changed_paging_shape_is_protocol_changed(site, monkeypatch):
    monkeypatch.setattr(site, "answer_api", lambda api, body: {"list": []})
    with pytest.raises(ProtocolChanged):
        BykcClient(**site.client_args()).fetch_course_records()


def test_bad_public_key_is_a_clear_error(site):
    with pytest.raises(ValueError, match="BYKC_RSA_PUBLIC_KEY"):
        BykcClient(**site.client_args(rsa_public_key="not a key"))


@pytest.mark.parametrize(
    "changes",
    [
        {"id": None},
        {"id": "abc"},
        {"courseName": ""},
        {"courseStartDate": "2025/03/01 19:00"},
        {"courseEndDate": None},
        {"courseEndDate": "2000-01-01 00:00:00"},
        {"courseMaxCount": "many"},
        {"courseMaxCount": None},
        {"courseName": {"zh": "x"}},
    ],
)
def test_malformed_course_is_invalid_course(changes):
    with pytest.raises(InvalidCourse):
        parse_course(course(5, **changes))


def test_course_tolerates_missing_optional_fields():
    raw = course(9, courseCurrentCount=None, courseNewKind2=None, courseCampus="not json", courseDesc=None)
    del raw["courseSelectStartDate"]
    parsed = parse_course(raw)
    assert parsed.enrolled is None
    assert parsed.kinds == ("博雅课程",)
    assert parsed.campuses == ("not json",)
    assert parsed.description == ""
    assert parsed.enrol_start is None
    assert parsed.start == datetime.strptime(raw["courseStartDate"], "%Y-%m-%d %H:%M:%S")


def test_html_to_text():
    html = "<div>第一行<br>第二行</div><script>alert(1)</script><p>&lt;三&gt;&amp;  四</p>"
    assert html_to_text(html) == "第一行\n第二行\n<三>& 四"


@pytest.mark.slow
def test_crawler_imports_neither_flask_nor_a_database():
    code = (
        "import sys, crawler; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy', 'reedsailing'}))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
