"""E-mails sent by the workspaces app, rendered in the recipient's language when we know it."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from portevoix.accounts.models import User
from portevoix.workspaces.models import Invitation


def absolute_url(path: str) -> str:
    base = settings.PORTEVOIX_BASE_URL or "http://127.0.0.1:8000"
    return f"{base}{path}"


def send_invitation(*, invitation: Invitation, token: str) -> None:
    known = User.objects.filter(email__iexact=invitation.email).first()
    language = (known.language if known and known.language else None) or invitation.workspace.language
    with translation.override(language):
        context = {
            "invitation": invitation,
            "workspace": invitation.workspace,
            "inviter": invitation.invited_by,
            "url": absolute_url(reverse("workspaces:invitation_accept", args=[token])),
            "role": invitation.get_role_display(),
        }
        subject = render_to_string("workspaces/email/invitation_subject.txt", context).strip()
        body = render_to_string("workspaces/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])
