"""Abuse: schemathesis generates requests for every operation of /apispec_1.json and
calls the app in-process (WSGI), as a student and as a super admin. No answer may be a
5xx, and every answer must match what the document declares (status codes, content
type, response schema).

Bounded: a fixed number of examples per operation (derandomized, so CI runs are
repeatable) and an overall time budget; new routes are picked up from the document as
they land, with nothing to add here.
"""

import time

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import headers, make_activity, make_admin, make_org, make_user  # noqa: E402

# No process, but half a minute: left out of `make test-fast` with the process tests.
pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 8
TIME_BUDGET_SECONDS = 75  # then each remaining operation still gets 2 examples
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def principals_for(operation, student, admin):
    """Header sets to try: the roles the operation's `security` admits (both for
    `any`), and no credentials at all for public operations."""
    schemes = {name for requirement in operation.definition.raw.get("security", []) for name in requirement}
    chosen = []
    if "bearerAuth" in schemes:
        chosen.append(student)
    if "adminToken" in schemes:
        chosen.append(admin)
    return chosen or [{}]


def test_every_operation_survives_generated_requests(app):
    user = make_user(name="模糊测试")
    admin = make_admin()
    org = make_org(owner=user)
    make_activity(org=org)  # some ids that exist, so not every generated id is a 404
    student_headers, admin_headers = headers(user), headers(admin)

    schema = schemathesis.openapi.from_wsgi("/apispec_1.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    started = time.monotonic()
    failures = []
    for operation in operations:
        over_budget = time.monotonic() - started > TIME_BUDGET_SECONDS
        for auth_headers in principals_for(operation, student_headers, admin_headers):

            @given(case=operation.as_strategy())
            @settings(
                max_examples=2 if over_budget else EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case):
                response = case.call(headers=auth_headers)  # noqa: B023 - runs within this iteration
                case.validate_response(response, checks=CHECKS)

            try:
                exercise()
            except Exception as error:  # collect every operation's failure, report them all
                failures.append(f"{operation.label} as {sorted(auth_headers) or 'anonymous'}:\n{error}")
    assert not failures, "\n\n".join(failures)[:20000]
