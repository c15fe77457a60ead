"""Writes for analytics integrations: connecting GA4 and Metrica, changing and removing them (connect.py),
checking what people give (validation.py), testing the connection and importing daily traffic
(imports.py)."""

from portevoix.integrations.services.connect import (
    integration_connect_ga4,
    integration_connect_metrica,
    integration_delete,
    integration_update,
)
from portevoix.integrations.services.imports import (
    IMPORT_EVERY,
    RETRY_AFTER_FAILURE,
    ImportResult,
    TestResult,
    fetch_report,
    import_window,
    integration_import,
    integration_import_request,
    integration_test,
    integrations_import_due,
)
from portevoix.integrations.services.validation import MAX_KEY_BYTES, parse_service_account_key

__all__ = [
    "IMPORT_EVERY",
    "MAX_KEY_BYTES",
    "RETRY_AFTER_FAILURE",
    "ImportResult",
    "TestResult",
    "fetch_report",
    "import_window",
    "integration_connect_ga4",
    "integration_connect_metrica",
    "integration_delete",
    "integration_import",
    "integration_import_request",
    "integration_test",
    "integration_update",
    "integrations_import_due",
    "parse_service_account_key",
]
