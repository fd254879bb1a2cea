"""Every operation of the HTTP API refuses callers without a session or a
token, in the project's error format: a sweep over the OpenAPI description."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _operations(client):
    schema = client.get("/api/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method in methods:
            yield method, re.sub(r"\{[^}]+\}", "1", path)


def test_every_operation_needs_authentication(client):
    operations = list(_operations(client))
    assert len(operations) > 50
    for method, path in operations:
        response = getattr(client, method)(path, content_type="application/json")
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "unauthenticated", (method, path)
