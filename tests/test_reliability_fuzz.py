"""Fuzzing every operation of the generated OpenAPI document with Schemathesis.

Schema-valid requests, a bounded number per operation, from a fixed seed. Each answer
must be documented for its operation (status, content type, headers, schema) and an
envelope the contract knows; and no answer may be a 5xx, except the 501 the real server
gives on every env-var route (spec §5.2). Figures land in docs/reliability.md.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mockplex.clock import parse_clock
from mockplex.contract.conformance import check_answer
from mockplex.contract.openapi import build
from mockplex.pytest_plugin import Mockplex
from mockplex.settings import Settings

pytestmark = pytest.mark.reliability

EXAMPLES_PER_OPERATION = 50
FUZZ_SEED = 20261128
OAUTH = "mpx_oauth_dev_access_token_0001"  # an OAuth bearer: no 60/min PAT window to exhaust
EXPECTED_5XX = {("env_vars.list", 501), ("env_vars.set", 501), ("env_vars.delete", 501)}


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory):
    state = Path(tmp_path_factory.mktemp("fuzz-state"))
    server = Mockplex(Settings(state_dir=state, clock=parse_clock("fast:60"), seed=FUZZ_SEED)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def contract(fuzzed_server):
    schema = schemathesis.openapi.from_dict(build(fuzzed_server.base_url))
    schema.config.update(base_url=fuzzed_server.base_url)
    schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
    return schema


@pytest.fixture(scope="module")
def tally():
    """Counts what the fuzz sent; the figures in docs/reliability.md are printed from it."""
    counts: Counter = Counter()
    yield counts
    if counts:
        statuses = ", ".join(f"{key.removeprefix('status ')}: {counts[key]}" for key in sorted(counts)
                             if key.startswith("status "))
        operations = sum(1 for key in counts if key.startswith("operation "))
        print(f"\nfuzzed {operations} operations, {counts['examples']} examples; statuses {statuses}")


def call_and_check(case) -> int:
    """Send one generated request; its answer must be within the operation's contract."""
    response = case.call(headers={"Authorization": f"Bearer {OAUTH}"}, timeout=10)
    case.validate_response(response, checks=[status_code_conformance, content_type_conformance,
                                             response_headers_conformance, response_schema_conformance])
    operation = case.operation.definition.raw["operationId"]
    content_type = ",".join(response.headers.get("content-type", []))  # Schemathesis keeps header lists
    findings = check_answer(case.method, case.formatted_path, response.status_code, content_type, response.content)
    assert not findings, [finding.describe() for finding in findings]
    if response.status_code >= 500:
        assert (operation, response.status_code) in EXPECTED_5XX, response.text
    return response.status_code


schema = schemathesis.pytest.from_fixture("contract")


@schema.parametrize()
@hypothesis_seed(FUZZ_SEED)
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_contract(case, tally):
    status = call_and_check(case)
    tally.update(("examples", f"status {status}", f"operation {case.operation.definition.raw['operationId']}"))


def send_one_example(operation) -> int:
    """One request generated for `operation`, sent and checked; its status."""
    statuses = []

    @given(operation.as_strategy())
    @settings(max_examples=1, database=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def send(case):
        statuses.append(call_and_check(case))

    send()
    return statuses[0]


def test_every_operation_yields_a_request_answered_within_contract(contract):
    """Nothing is silently left out: each operation of the document, on its own, gives a
    request that is sent and answered within contract (independent of the fuzz above)."""
    operations = [result.ok() for result in contract.get_all_operations()]
    assert len(operations) == 29
    answered = {operation.label: send_one_example(operation) for operation in operations}
    assert len(answered) == 29 and all(100 <= status < 600 for status in answered.values())
