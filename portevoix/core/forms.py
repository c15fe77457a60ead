"""Glue between service errors and Django forms."""

from __future__ import annotations

from django import forms

from portevoix.core.errors import PortevoixError


def add_service_errors(form: forms.Form, error: PortevoixError) -> None:
    """Show a service's field-level problems next to the matching fields, the rest on top."""
    unmatched = False
    for field, messages in error.fields.items():
        target = field if field in form.fields else None
        if target is None:
            unmatched = True
        for message in messages:
            form.add_error(target, message)
    if not error.fields or unmatched:
        form.add_error(None, error.message)
