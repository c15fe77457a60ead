"""Who is calling the API, and in which workspace.

Two ways in, tried in this order:
- ``Authorization: Bearer pvx_...``: a personal API token; its workspace is the current workspace and
  its owner's role there applies. A token that is sent but not valid answers 401 at once; naming another
  workspace in the header below answers 404.
- The browser's session cookie, with Django's CSRF token on unsafe methods. The workspace is named by
  the ``X-Portevoix-Workspace: <slug>`` header or is the person's default one; a workspace they do not
  belong to answers 404, and one that requires 2FA answers 403 until the session is OTP-verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from portevoix.core.api import CsrfFailed, TwoFactorRequired
from portevoix.core.context import set_origin
from portevoix.core.errors import NotFound
from portevoix.workspaces import selectors, services
from portevoix.workspaces.models import ApiToken, Membership

WORKSPACE_HEADER = "X-Portevoix-Workspace"


@dataclass(frozen=True)
class ApiCaller:
    """``request.auth`` of every API operation."""

    membership: Membership
    token: ApiToken | None
    credential: str  # identifies the token or the session, for rate limits; never a secret

    def __str__(self) -> str:
        return self.credential


def caller(request: HttpRequest) -> ApiCaller:
    auth = getattr(request, "auth", None)
    if not isinstance(auth, ApiCaller):  # pragma: no cover - every operation declares the auth below
        raise AuthenticationError()
    return auth


def member(request: HttpRequest) -> Membership:
    """The acting member: the role checks of services and selectors apply to it."""
    return caller(request).membership


def _client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class TokenAuth(HttpBearer):
    """Personal API tokens (``pvx_<prefix>_<secret>``)."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> ApiCaller:
        resolved = services.api_token_authenticate(token.strip())
        if resolved is None:
            raise AuthenticationError(
                message=_("This API token is not valid: it may be wrong, revoked or expired.")
            )
        api_token, membership = resolved
        named = request.headers.get(WORKSPACE_HEADER, "").strip()
        if named and named != membership.workspace.slug:
            # A script that names another workspace than its token's must not act on the token's one.
            raise NotFound(_("This API token belongs to another workspace."))
        request.user = membership.user
        if membership.user.language:
            translation.activate(membership.user.language)
        set_origin("api", _client_address(request))
        return ApiCaller(membership=membership, token=api_token, credential=f"token:{api_token.prefix}")


class SessionAuth(APIKeyCookie):
    """The browser's Django session; CSRF-checked on unsafe methods."""

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> ApiCaller | None:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise CsrfFailed(
                _("CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.")
            )
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiCaller:
        user: Any = request.user
        slug = request.headers.get(WORKSPACE_HEADER, "").strip()
        if "\x00" in slug:
            raise NotFound(_("No such workspace."))
        if slug:
            membership = selectors.membership_for(user, slug)
        else:
            found = selectors.default_membership(user)
            if found is None:
                raise NotFound(_("You are not a member of any workspace yet."))
            membership = found
        workspace = membership.workspace
        if workspace.require_2fa and not user.is_verified():
            raise TwoFactorRequired(
                _("%(name)s requires two-factor authentication: sign in with your second factor first.")
                % {"name": workspace.name}
            )
        set_origin("api", _client_address(request))
        session_key = getattr(request.session, "session_key", None) or f"user-{user.pk}"
        return ApiCaller(membership=membership, token=None, credential=f"session:{session_key}")


API_AUTH = [TokenAuth(), SessionAuth()]
