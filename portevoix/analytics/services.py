"""Writes of the site tracker: tracked sites (create, update, delete, rotate the server-side key) and
server-side conversions. The beacons of the script are stored by analytics/sessions.py (called by the fast
path's writer thread)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.analytics import beacon, cache
from portevoix.analytics.models import MAX_DOMAINS, MAX_NAME, SECRET_PREFIX, Conversion, Site, Visit
from portevoix.core.errors import ValidationFailed
from portevoix.core.secrets import digest
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

SESSION_GAP = dt.timedelta(minutes=30)
ATTRIBUTION_WINDOW = dt.timedelta(days=30)
MAX_SITE_DOMAINS = 20
_HOST = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


def hash_visitor(public_key: str, visitor: str) -> str:
    """What is stored of a visitor id: an HMAC of the site's key and the id (the raw id never is)."""
    message = f"{public_key}:{visitor}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


# --- Sites ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSite:
    site: Site
    secret: str  # the server-side conversions key, shown once


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _clean_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(_("Name the site."), fields={"name": [_("Name the site.")]})
    name = value.strip()
    if len(name) > MAX_NAME or "\x00" in name:
        message = _("At most %(max)s characters.") % {"max": MAX_NAME}
        raise ValidationFailed(message, fields={"name": [message]})
    return name


def clean_domains(value: object) -> str:
    """Host names, one per line (commas and spaces separate too), lower case, without scheme or path."""
    if not isinstance(value, str):
        raise ValidationFailed(_("Enter a text value."), fields={"domains": [_("Enter a text value.")]})
    if len(value) > MAX_DOMAINS or "\x00" in value:
        message = _("At most %(max)s characters.") % {"max": MAX_DOMAINS}
        raise ValidationFailed(message, fields={"domains": [message]})
    hosts: list[str] = []
    for raw in re.split(r"[\s,]+", value.strip()):
        if not raw:
            continue
        host = raw.lower().rstrip(".")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = "\x00"
        if not _HOST.match(host):
            message = _(
                "“%(host)s” is not a host name such as shop.example.com (no scheme, port or path)."
            ) % {"host": raw[:80]}
            raise ValidationFailed(message, fields={"domains": [message]})
        if host not in hosts:
            hosts.append(host)
    if len(hosts) > MAX_SITE_DOMAINS:
        message = _("At most %(max)s domains.") % {"max": MAX_SITE_DOMAINS}
        raise ValidationFailed(message, fields={"domains": [message]})
    return "\n".join(hosts)


def site_create(*, by: Membership, name: object, domains: object = "") -> IssuedSite:
    permissions.require(by, "analytics.manage")
    clean_name, clean = _clean_name(name), clean_domains(domains)
    secret = _new_secret()
    with transaction.atomic():
        site = Site.objects.create(
            workspace=by.workspace,
            name=clean_name,
            public_key=secrets.token_urlsafe(12),
            secret_hash=digest(secret),
            domains=clean,
        )
        audit.record(actor=by.user, action="tracker.site_create", workspace=by.workspace, obj=site)
    return IssuedSite(site=site, secret=secret)


def site_update(*, by: Membership, site: Site, name: object = None, domains: object = None) -> Site:
    permissions.require(by, "analytics.manage")
    fields = []
    if name is not None:
        site.name = _clean_name(name)
        fields.append("name")
    if domains is not None:
        site.domains = clean_domains(domains)
        fields.append("domains")
    if fields:
        with transaction.atomic():
            site.save(update_fields=fields)
            audit.record(actor=by.user, action="tracker.site_update", workspace=by.workspace, obj=site)
        key = site.public_key
        transaction.on_commit(lambda: cache.forget(key))
    return site


def site_rotate_secret(*, by: Membership, site: Site) -> IssuedSite:
    """A new server-side conversions key; the old one stops working at once."""
    permissions.require(by, "analytics.manage")
    secret = _new_secret()
    with transaction.atomic():
        site.secret_hash = digest(secret)
        site.save(update_fields=["secret_hash"])
        audit.record(actor=by.user, action="tracker.site_rotate_secret", workspace=by.workspace, obj=site)
    return IssuedSite(site=site, secret=secret)


def site_delete(*, by: Membership, site: Site) -> None:
    """Deletes the site with its visits and conversions."""
    permissions.require(by, "analytics.manage")
    key = site.public_key
    with transaction.atomic():
        audit.record(
            actor=by.user, action="tracker.site_delete", workspace=by.workspace, obj=site, name=site.name
        )
        site.delete()
    transaction.on_commit(lambda: cache.forget(key))


# --- Conversions ------------------------------------------------------------------------------------


def attribution(*, site_id: int, visitor: str, at: dt.datetime) -> Visit | None:
    """The visitor's last social visit started within the attribution window before ``at``."""
    return (
        Visit.objects.filter(
            site_id=site_id,
            visitor=visitor,
            started_at__gt=at - ATTRIBUTION_WINDOW,
            started_at__lte=at,
        )
        .exclude(network="")
        .order_by("-started_at", "-id")
        .first()
    )


def current_visit(*, site_id: int, visitor: str, at: dt.datetime) -> Visit | None:
    """The visitor's session open at ``at`` (last seen less than 30 minutes before)."""
    return (
        Visit.objects.filter(
            site_id=site_id,
            visitor=visitor,
            last_seen_at__gt=at - SESSION_GAP,
            started_at__lte=at + dt.timedelta(minutes=1),
        )
        .order_by("-last_seen_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class Recorded:
    conversion: Conversion
    created: bool  # False: a conversion with this order id was already stored (nothing changed)


def conversion_record(
    *,
    site: Site,
    goal: object,
    visitor: object = None,
    order_id: object = None,
    revenue: object = None,
    currency: object = None,
    at: dt.datetime | None = None,
) -> Recorded:
    """A server-side conversion (authenticated by the site's secret key, not a member). Deduplicated by
    (site, order id); attributed to the visitor's last social visit within 30 days."""
    try:
        clean_goal = beacon.goal_name(goal)
        amount = beacon.revenue_amount(revenue)
        clean_currency = beacon.currency_code(currency, revenue=amount)
        clean_order = beacon.order_id(order_id)
        raw_visitor = beacon.visitor_id(visitor) if visitor not in (None, "") else ""
    except beacon.Refused as refused:
        raise ValidationFailed(
            _("Please correct the highlighted fields."), fields={refused.field: [refused.reason]}
        ) from None
    if not raw_visitor and not clean_order:
        message = _("Send the visitor id, the order id, or both.")
        raise ValidationFailed(message, fields={"visitor": [message]})
    now = timezone.now()
    at = at or now
    if at > now + dt.timedelta(minutes=5) or at < now - dt.timedelta(days=90):
        message = _("The time must be within the last 90 days.")
        raise ValidationFailed(message, fields={"at": [message]})
    if clean_order:
        existing = Conversion.objects.filter(site=site, order_id=clean_order).first()
        if existing is not None:
            return Recorded(existing, created=False)
    visit = touch = None
    if raw_visitor:
        hashed = hash_visitor(site.public_key, raw_visitor)
        visit = current_visit(site_id=site.pk, visitor=hashed, at=at)
        touch = visit if visit is not None and visit.network else None
        if touch is None:
            touch = attribution(site_id=site.pk, visitor=hashed, at=at)
    try:
        with transaction.atomic():
            conversion = Conversion.objects.create(
                workspace_id=site.workspace_id,
                site=site,
                visit=visit,
                at=at,
                goal=clean_goal,
                revenue=amount,
                currency=clean_currency,
                network=touch.network if touch else "",
                campaign=touch.campaign if touch else "",
                post_id=touch.post_id if touch else None,
                source="server",
                order_id=clean_order,
            )
    except IntegrityError:  # the same order id stored at the same moment by the page or another call
        existing = Conversion.objects.filter(site=site, order_id=clean_order).first()
        if existing is None:  # pragma: no cover
            raise
        return Recorded(existing, created=False)
    return Recorded(conversion, created=True)
