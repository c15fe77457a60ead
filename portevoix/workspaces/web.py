"""Resolving the current workspace for HTML views.

``workspace_view(permission)`` looks the member up from the ``slug`` in the URL (404 for a workspace the
user does not belong to), enforces the workspace's 2FA rule, checks the permission (403), and puts
``request.membership`` and ``request.workspace`` in place for the view and the navigation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone as dj_timezone
from django.utils import translation

from portevoix.core.errors import NotFound
from portevoix.workspaces import permissions, selectors, services

View = Callable[..., HttpResponse]


def workspace_view(permission: str) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                membership = selectors.membership_for(request.user, slug)  # type: ignore[arg-type]
            except NotFound:
                raise Http404("No such workspace.") from None
            workspace = membership.workspace
            if workspace.require_2fa and not request.user.is_verified():  # type: ignore[union-attr]
                return redirect(f"{_two_factor_url()}?workspace={workspace.slug}")
            request.membership = membership  # type: ignore[attr-defined]
            request.workspace = workspace  # type: ignore[attr-defined]
            # A person's own choices win; empty ones follow the workspace.
            if not request.user.timezone:  # type: ignore[union-attr]
                dj_timezone.activate(workspace.tzinfo)
            if not request.user.language:  # type: ignore[union-attr]
                translation.activate(workspace.language)
                request.LANGUAGE_CODE = workspace.language
            permissions.require(membership, permission)
            services.workspace_switch(user=request.user, workspace=workspace)  # type: ignore[arg-type]
            return view(request, *args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _two_factor_url() -> str:
    from django.urls import reverse

    return reverse("accounts:two_factor")
