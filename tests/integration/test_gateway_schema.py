"""Generated requests from the gateway's own OpenAPI document: no 5xx, and answers conform."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api_client import BookingClient
from gateway.app import create_app
from gateway.settings import GatewaySettings
from harness.workers import Deployment

pytestmark = pytest.mark.integration

KEY = "live_api_key_schema"
AUTHORIZATION = "Basic " + base64.b64encode(f":{KEY}".encode()).decode()
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def booking_client(deployment: Deployment) -> Iterator[BookingClient]:
    with deployment.client(subscribe_on_submit=False) as client:
        yield client


@pytest.fixture
def gateway_schema(
    deployment: Deployment, booking_client: BookingClient
) -> schemathesis.BaseSchema:
    app_settings = GatewaySettings(
        redis_url=deployment.redis_url, api_keys=SecretStr(KEY), wait_s=30
    )
    return schemathesis.openapi.from_asgi(
        "/v2/openapi.json", create_app(app_settings, booking_client)
    )


def test_generated_requests_get_no_server_error_and_conform(
    gateway_schema: schemathesis.BaseSchema,
) -> None:
    operations = [result.ok() for result in gateway_schema.get_all_operations()]
    assert len(operations) == 15  # 11, roster.csv, issuing (two) and revoking feed tokens
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": AUTHORIZATION}, checks=CHECKS)

        conforms()
