"""Property-based run of schemathesis against the real backend process (issue 15).

Every operation of the served ``/openapi.json`` gets a few generated requests (valid and
invalid) with the token set; all of schemathesis' checks run: no 5xx, only declared status
codes, bodies and headers as declared, invalid input refused, valid input not refused.
Bounded: ``MAX_EXAMPLES`` per operation and phase, well under a minute on two cores.
"""

from collections import Counter
from pathlib import Path

import httpx
import schemathesis
from hypothesis import HealthCheck, settings

from backend.jobs.manager import JobManager
from backend.service.app import create_app

MAX_EXAMPLES = 5
ANSWERS: dict[str, Counter] = {}  # operation label -> status code -> requests
# Tests are generated at collection, before the server runs: from the schema of the same
# app factory; test_served_schema_is_the_tested_one checks the live one equals it.
_jobs = JobManager()
SCHEMA_DOC = create_app("collection-only", "cpu", Path("unused-model-dir"), _jobs).openapi()
_jobs.shutdown()

schema = schemathesis.openapi.from_dict(
    SCHEMA_DOC,
    config=schemathesis.Config.from_dict(
        {
            # Valid and invalid requests; examples, coverage (edge values, wrong methods and
            # types) and random fuzzing phases.
            "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
            },
            "checks": {"enabled": True},
            "operations": [
                {
                    # A schema-valid job request still names input files that do not exist,
                    # and a kind's parameter rules live in GET /jobs/kinds, not in this
                    # operation's schema: 400 is the documented answer to both.
                    "include-operation-id": "create_job_jobs_post",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "400", "401", "403"]
                        }
                    },
                }
            ],
        }
    ),
)


def test_served_schema_is_the_tested_one(live_backend):
    served = httpx.get(
        f"{live_backend['url']}/openapi.json",
        headers={"Authorization": f"Bearer {live_backend['token']}"},
    )
    assert served.status_code == 200 and served.json() == SCHEMA_DOC


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_answers_as_declared(case, live_backend):
    response = case.call_and_validate(
        base_url=live_backend["url"],
        headers={"Authorization": f"Bearer {live_backend['token']}"},
    )
    ANSWERS.setdefault(case.operation.label, Counter())[response.status_code] += 1


def test_every_operation_was_exercised():
    """Runs after the generated tests (file order): none of them was silently empty."""
    operations = {op.ok().label for op in schema.get_all_operations()}
    assert operations and set(ANSWERS) == operations, ANSWERS
    total = sum(sum(c.values()) for c in ANSWERS.values())
    print(f"schemathesis: {len(operations)} operations, {total} requests: {ANSWERS}")
