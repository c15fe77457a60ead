"""Sign-in, sign-out, language choice. (2FA, password reset and profile: see the other modules.)"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

LANGUAGE_CODES = {code for code, _label in settings.LANGUAGES}


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; saved on the account of a signed-in person, in a cookie otherwise."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in LANGUAGE_CODES:
        if request.user.is_authenticated and request.user.language != language:  # type: ignore[union-attr]
            request.user.language = language  # type: ignore[union-attr]
            request.user.save(update_fields=["language"])  # type: ignore[union-attr]
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response
