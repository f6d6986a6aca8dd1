"""The API against its own OpenAPI schema: schemathesis generates requests; none may get a 5xx
or a response that breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings


pytestmark = pytest.mark.slow


def test_api_conforms_to_openapi_schema(case_server):
    base = case_server.url
    schema = schemathesis.openapi.from_url(base + "/openapi.json").include(path_regex="^/api/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} >= {("POST", "/api/ask")}
    calls: list[int] = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            response = case.call(base_url=base)
            calls.append(response.status_code)
            assert response.status_code < 500, (case.body, response.text)
            case.validate_response(response)

        check()
    assert len(calls) >= 60
