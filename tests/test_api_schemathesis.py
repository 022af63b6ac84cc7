"""schemathesis against the app's own /openapi.json: no 500, every answer as the schema says.

Every operation, signed in as a seeded admin (bearer token) with a seeded book, on SQLite and
PostgreSQL: schema-valid requests aimed at the real book and records, then schema-invalid ones,
each a bounded, derandomised number of examples so CI stays fast and repeatable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", minversion="4")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from ocr_service.api.app import create_app  # noqa: E402
from ocr_service.config import Settings  # noqa: E402
from tests.conftest import auth  # noqa: E402
from tests.factories import add_book  # noqa: E402

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


def run_operation(
    operation: Any, mode: Any, path_parameters: dict[str, str], call: Callable[[Any], None]
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        call(case)

    fuzz()


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    settings: Settings, admin_token: str
) -> None:
    book = add_book(settings, records=3)
    app = create_app(settings, start_jobs=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=auth(admin_token))
    known = {"ledger_id": book.ledger_id, "record_id": book.record_ids[0], "n": "1"}
    known_slug = {"slug": "khai-sinh"}
    requests: Counter[str] = Counter()
    operations = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = {p.name for p in operation.path_parameters}
        real = {k: v for k, v in {**known, **known_slug}.items() if k in names}

        def call(case: Any, label: str = operation.label) -> None:
            requests[label] += 1
            case.call_and_validate(headers=auth(admin_token), checks=CHECKS)

        run_operation(operation, GenerationMode.POSITIVE, real, call)
        if real:
            run_operation(operation, GenerationMode.POSITIVE, {}, call)
        inputs = (operation.path_parameters, operation.query, operation.body)
        if any(len(group) for group in inputs):  # else there is nothing to get wrong
            run_operation(operation, GenerationMode.NEGATIVE, {}, call)

    total = sum(requests.values())
    print(f"schemathesis: {operations} operations, {total} requests, 0 failures")
    assert operations >= 22
    assert len(requests) == operations  # every operation was called
    assert total >= operations * MAX_EXAMPLES // 2
