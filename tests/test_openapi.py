"""The OpenAPI schema the API serves is valid OpenAPI 3, checked by a validator written by other
people (`openapi-spec-validator`), not by our own reading of the specification."""

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_the_served_schema_validates_as_openapi_3(world, client_for):
    response = client_for(world.street_staff).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises OpenAPIValidationError on the first fault


def test_the_validator_refuses_a_broken_schema():
    """The check can fail: a path whose operation has no responses is not OpenAPI."""
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    broken = {
        "openapi": "3.0.3",
        "info": {"title": "x", "version": "1"},
        "paths": {"/x/": {"get": {"summary": "no responses"}}},
    }
    with pytest.raises(OpenAPIValidationError):
        validate(broken)
