"""The API keeps its schema: a schemathesis run over every operation of `/api/schema/`, as a
street's staff, the tenant administrator and a member unit's contact, finds no server error and
no response the schema does not describe (status code, content type, body). Part of `make test`,
bounded: a few examples an operation (`SCHEMA_EXAMPLES`, default 3), one world for all of them.

Also the schema's own promises: the error responses every operation documents (core.api
ErrorsAutoSchema), `Match.unit` nullable as in the data, the bulk endpoints' one error shape.
"""

from __future__ import annotations

import os
import warnings

import pytest
from django.test import Client

from .demands import factories as df
from .members import factories as mf
from .projects import factories as pf

pytestmark = [pytest.mark.django_db, pytest.mark.schema]

EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "3"))


def openapi():
    import yaml  # schemathesis depends on PyYAML

    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_every_operation_documents_its_error_responses(world):
    spec = openapi()
    missing = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if path != "/api/token/" and "403" not in codes:
                missing.append((method, path, "403"))
            if "{" in path and "404" not in codes:
                missing.append((method, path, "404"))
            if method in ("post", "put", "patch") and "400" not in codes:
                missing.append((method, path, "400"))
    assert missing == []
    assert "429" in spec["paths"]["/api/token/"]["post"]["responses"]
    error = spec["paths"]["/api/demands/{id}/"]["get"]["responses"]["404"]
    assert error["content"]["application/json"]["schema"]["required"] == ["detail"]


def test_match_unit_is_nullable_and_the_bulk_error_is_one_list(world):
    spec = openapi()
    match = spec["components"]["schemas"]["Match"]["properties"]["unit"]
    assert match.get("nullable") is True
    for path in ("/api/resources/bulk/", "/api/projects/bulk/"):
        body = spec["paths"][path]["post"]["responses"]["400"]["content"]["application/json"]
        assert body["schema"]["type"] == "array"
        assert body["schema"]["items"]["$ref"].endswith("/BulkFailure")
    failure = spec["components"]["schemas"]["BulkFailure"]["properties"]
    assert failure["index"].get("nullable") is True


def test_a_bulk_call_that_is_not_a_list_answers_in_the_documented_shape(world, client_for):
    response = client_for(world.street_staff).post(
        "/api/resources/bulk/", {"title": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    [failure] = response.json()
    assert failure["index"] is None and failure["errors"]["non_field_errors"]


def populated(world):
    """Something of every kind for the run to read and act on, in the street's subtree."""
    unit = mf.unit(world.street, name="东华门老年餐桌")
    project, contact = pf.project(world)
    df.resource(
        world.street,
        world.street_staff,
        title="街道活动室",
        capacity="15",
        capacity_unit="places",
    )
    df.demand(world.community2, world.street_staff, title="银闸社区助餐")
    return {"unit": unit, "contact": contact, "project": project}


def token_for(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


@pytest.fixture
def connection_kept():
    """The WSGI app closes the database connection after each request, as in production; the
    test's transaction lives on it (Django's test client disconnects the same receivers)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_finds_no_server_error_and_nothing_outside_the_schema(
    world, connection_kept, mode
):
    """Valid input (positive) and input the schema forbids (negative: a wrong type, a missing
    required field, a value out of range), which must be refused with a documented 4xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from config.wsgi import application

    data = populated(world)
    personas = {
        "staff": token_for(world.street_staff),
        "administrator": token_for(world.tenant_admin),
        "unit contact": token_for(data["contact"]),
    }
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ("/api/token/",):
            continue  # signing in with generated passwords would only lock the address out
        operations += 1

        @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            for token in personas.values():
                case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=checks)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                run()
            except Unsatisfiable:
                # An operation that takes no input (no parameters, no body) has nothing the
                # schema forbids: negative cases cannot be made for it.
                assert mode == "negative", operation.path
            except Exception as error:  # noqa: BLE001 - schemathesis' failure groups, reported
                failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:2000])
    assert operations > 30
    assert failures == [], "\n\n".join(failures[:10])
