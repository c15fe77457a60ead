"""The OpenAPI document: committed snapshot in sync, and every operation documented the same way."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from portevoix import openapi_snapshot
from portevoix.api import api
from portevoix.core.api import iter_operations


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema(), default=str))  # as clients read it


def test_committed_snapshot_matches_the_api():
    committed = openapi_snapshot.SNAPSHOT_PATH.read_text(encoding="utf-8")
    generated = openapi_snapshot.generate()
    assert committed == generated, (
        "openapi.json is out of date: run `make openapi` (python -m portevoix.openapi_snapshot --write)\n"
        + openapi_snapshot.diff(committed, generated)
    )


def test_check_mode_reports_drift_with_a_diff(tmp_path, capsys):
    path = tmp_path / "openapi.json"
    assert openapi_snapshot.main(["--check", "--path", str(path)]) == 1  # missing file
    assert openapi_snapshot.main(["--write", "--path", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert '\n  "components": {' in text  # indent 2, sorted keys: "components" before "info" and "paths"
    assert text.index('"components"') < text.index('"info"') < text.index('"paths"')
    assert openapi_snapshot.main(["--check", "--path", str(path)]) == 0
    capsys.readouterr()
    path.write_text(text.replace('"title": "Portevoix API"', '"title": "Old"'), encoding="utf-8")
    assert openapi_snapshot.main(["--check", "--path", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("--- openapi.json (committed)\n+++ openapi.json (generated)\n")
    assert '\n-    "title": "Old",\n+    "title": "Portevoix API",\n' in out


def test_every_path_is_versioned(schema):
    assert schema["paths"]
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    served = {(op.method, op.path) for op in iter_operations(api)}
    documented = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert served == documented


OTHER_AUTH = {("post", "/api/v1/tracker/conversions"): "SiteSecretAuth"}


def test_every_operation_is_documented(schema):
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    ids = Counter(op["operationId"] for _path, _method, op in operations)
    assert [name for name, count in ids.items() if count > 1] == []
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op["operationId"].isidentifier(), where
        assert op.get("summary"), where
        assert op["summary"] != op["operationId"].replace("_", " ").title(), f"{where}: write a summary"
        assert op.get("tags"), where
        if (method, path) in OTHER_AUTH:  # called by a brand's server with the site's key, not a person's
            assert op["security"] == [{OTHER_AUTH[(method, path)]: []}], where
        else:
            assert {"TokenAuth": []} in op["security"], where
            assert {"SessionAuth": []} in op["security"], where
        statuses = set(op["responses"])
        assert {"401", "422", "429"} <= statuses, where
        assert any(status.startswith("2") for status in statuses), where
        for status, response in op["responses"].items():
            if not status.startswith("2"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorOut", where
        if "{id}" in path:
            assert "404" in statuses, where


def test_no_output_schema_carries_a_stored_secret(schema):
    for name, component in schema["components"]["schemas"].items():
        properties = set(component.get("properties", {}))
        assert "token_hash" not in properties, name
        assert "password" not in properties, name
        if "secret" in properties:
            # Shown once, when it is made (API token, tracker site's server key): stored hashed.
            assert name in {"ApiTokenCreated", "SiteSecretOut"}, name
