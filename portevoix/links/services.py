"""Writes for tracked links: creating, disabling and deleting links, the workspace's UTM rules, short links
for the links of a post's text, and storing the clicks gathered by the redirect fast path."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.core.errors import Conflict, ValidationFailed
from portevoix.core.sql import upsert_adding
from portevoix.links import cache, codes, selectors, targets, utm
from portevoix.links.models import MAX_FINAL_LENGTH, Click, LinkHourly, LinkSettings, ShortLink
from portevoix.publishing.models import Target
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership, Workspace

logger = logging.getLogger(__name__)

CODE_ATTEMPTS = 5
INSERT_CHUNK = 250  # clicks per INSERT statement batch
MAX_CAMPAIGN = 100
# An address in a post's text: http(s) up to the first space or quote; trailing punctuation is not part of it.
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}>»”’'\""


# --- Links --------------------------------------------------------------------------------------


def _values(
    *, workspace: Workspace, post: Post | None, channel: Channel | None, campaign: str
) -> dict[str, str]:
    rubric = post.rubric.name if post is not None and post.rubric_id and post.rubric else ""
    return {
        "network": channel.network if channel is not None else "",
        "channel": channel.name if channel is not None else "",
        "rubric": rubric,
        "campaign": campaign or rubric,
        "post_id": str(post.pk) if post is not None else "",
        "workspace": workspace.slug,
    }


def final_url(
    *,
    workspace: Workspace,
    url: str,
    post: Post | None = None,
    channel: Channel | None = None,
    campaign: str = "",
) -> str:
    """``url`` with the UTM tags of the workspace's rules for this post and channel. ``{campaign}`` is the
    campaign given, else the post's rubric name."""
    rules = selectors.link_settings(workspace=workspace)
    values = _values(workspace=workspace, post=post, channel=channel, campaign=campaign)
    tags = {tag: utm.render(getattr(rules, tag), values) for tag in utm.TAGS}
    return utm.apply_tags(url, tags, override=rules.override)


def _clean_campaign(campaign: object) -> str:
    if not isinstance(campaign, str):
        raise ValidationFailed(_("Enter a text value."), fields={"campaign": [_("Enter a text value.")]})
    campaign = campaign.strip()
    if len(campaign) > MAX_CAMPAIGN or "\x00" in campaign:
        message = _("At most %(max)s characters.") % {"max": MAX_CAMPAIGN}
        raise ValidationFailed(message, fields={"campaign": [message]})
    return campaign


def _create(
    *,
    workspace: Workspace,
    url: str,
    post: Post | None,
    channel: Channel | None,
    campaign: str,
    created_by: Any,
) -> ShortLink:
    target = targets.clean_target(url)
    final = final_url(workspace=workspace, url=target, post=post, channel=channel, campaign=campaign)
    if len(final) > MAX_FINAL_LENGTH:
        message = _("With its UTM tags the address would be too long.")
        raise ValidationFailed(message, fields={"url": [message]})
    for _attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return ShortLink.objects.create(
                    workspace=workspace,
                    code=codes.new_code(),
                    target_url=target,
                    final_url=final,
                    post=post,
                    channel=channel,
                    campaign=campaign,
                    created_by=created_by,
                )
        except IntegrityError:  # the code is taken (about one chance in 10**14): draw another
            continue
    raise Conflict(_("Could not find a free code; try again."))  # pragma: no cover


def link_create(
    *,
    by: Membership,
    url: object,
    post: Post | None = None,
    channel: Channel | None = None,
    campaign: object = "",
) -> ShortLink:
    """A new short link of the caller's workspace to ``url`` (http/https only), tagged by the UTM rules."""
    permissions.require(by, "link.manage")
    if post is not None and post.workspace_id != by.workspace_id:
        raise ValidationFailed(_("No such post."), fields={"post_id": [_("No such post.")]})
    if channel is not None and channel.workspace_id != by.workspace_id:
        raise ValidationFailed(_("No such channel."), fields={"channel_id": [_("No such channel.")]})
    with transaction.atomic():
        link = _create(
            workspace=by.workspace,
            url=url,  # type: ignore[arg-type]  # clean_target checks the type
            post=post,
            channel=channel,
            campaign=_clean_campaign(campaign),
            created_by=by.user,
        )
        audit.record(actor=by.user, action="link.create", workspace=by.workspace, obj=link, code=link.code)
    return link


def link_set_disabled(*, by: Membership, link: ShortLink, disabled: bool) -> ShortLink:
    """A disabled link answers 404 (at once in this process, within the cache's lifetime elsewhere)."""
    permissions.require(by, "link.manage")
    with transaction.atomic():
        link.disabled = disabled
        link.save(update_fields=["disabled"])
        audit.record(
            actor=by.user,
            action="link.disable" if disabled else "link.enable",
            workspace=by.workspace,
            obj=link,
        )
    transaction.on_commit(lambda: cache.forget(link.code))
    return link


def link_delete(*, by: Membership, link: ShortLink) -> bool:
    """Deletes a link that was never clicked; one with clicks is disabled instead (its history stays for
    the reports). True when it was deleted."""
    permissions.require(by, "link.manage")
    if Click.objects.filter(link=link).exists():
        link_set_disabled(by=by, link=link, disabled=True)
        return False
    code = link.code
    with transaction.atomic():
        audit.record(actor=by.user, action="link.delete", workspace=by.workspace, obj=link, code=code)
        link.delete()
    transaction.on_commit(lambda: cache.forget(code))
    return True


# --- Rules ----------------------------------------------------------------------------------------

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


def _clean_domain(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(_("Enter a text value."), fields={"custom_domain": [_("Enter a text value.")]})
    domain = value.strip().lower().rstrip(".")
    if not domain:
        return ""
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = "\x00"
    if not _DOMAIN.match(domain):
        message = _("Enter a host name such as go.example.com (no scheme, port or path).")
        raise ValidationFailed(message, fields={"custom_domain": [message]})
    return domain


def link_settings_update(
    *,
    by: Membership,
    utm_source: object,
    utm_medium: object,
    utm_campaign: object,
    utm_content: object,
    override: bool,
    custom_domain: object = "",
    shorten_in_posts: bool = False,
) -> LinkSettings:
    """Replace the workspace's UTM rules (and custom short domain). Links already made keep their tags."""
    permissions.require(by, "link.manage")
    given = {"utm_source": utm_source, "utm_medium": utm_medium, "utm_campaign": utm_campaign}
    given["utm_content"] = utm_content
    cleaned = {}
    for field, value in given.items():
        if not isinstance(value, str):
            raise ValidationFailed(_("Enter a text value."), fields={field: [_("Enter a text value.")]})
        cleaned[field] = utm.check_template(value.strip(), field=field)
    domain = _clean_domain(custom_domain)
    if domain and LinkSettings.objects.filter(custom_domain=domain).exclude(workspace=by.workspace).exists():
        message = _("Another workspace uses this domain.")
        raise ValidationFailed(message, fields={"custom_domain": [message]})
    with transaction.atomic():
        rules, _created = LinkSettings.objects.select_for_update().get_or_create(workspace=by.workspace)
        changed_domain = rules.custom_domain != domain
        for field, value in cleaned.items():
            setattr(rules, field, value)
        rules.override = bool(override)
        rules.shorten_in_posts = bool(shorten_in_posts)
        rules.custom_domain = domain
        try:
            with transaction.atomic():
                rules.save()
        except IntegrityError:
            message = _("Another workspace uses this domain.")
            raise ValidationFailed(message, fields={"custom_domain": [message]}) from None
        audit.record(
            actor=by.user,
            action="link.rules",
            workspace=by.workspace,
            obj=None,
            **cleaned,
            override=rules.override,
            shorten_in_posts=rules.shorten_in_posts,
            custom_domain=domain,
        )
    if changed_domain:
        transaction.on_commit(cache.domains_changed)
    return rules


# --- Short links for a post's text ------------------------------------------------------------------


def _split_trailing(found: str) -> tuple[str, str]:
    end = len(found)
    while end and found[end - 1] in TRAILING:
        if found[end - 1] == ")" and found[:end].count("(") >= found[:end].count(")"):
            break  # https://en.wikipedia.org/wiki/Foo_(bar)
        end -= 1
    return found[:end], found[end:]


def links_for_post(*, post: Post, channel: Channel) -> str:
    """The post's text for ``channel`` (its network's variant, else the base text) with every http(s)
    address replaced by a short link tagged for this post and channel. The same address for the same post
    and channel reuses its link, so calling this again (a retry) makes no new links. Addresses that cannot
    be shortened (not valid, or already short links) stay as they are; so does the whole text when no
    public address for short links is configured (PORTEVOIX_BASE_URL or PORTEVOIX_SHORT_BASE_URL, or a
    custom domain)."""
    if channel.workspace_id != post.workspace_id:
        raise ValidationFailed(_("No such channel."), fields={"channel_id": [_("No such channel.")]})
    variant = post.variants.filter(network=channel.network).values_list("text", flat=True).first()
    return shorten_text(post=post, channel=channel, text=variant if variant else post.text)


def shorten_text(*, post: Post, channel: Channel, text: str) -> str:
    """``text`` with every http(s) address replaced by the post and channel's short link (see
    links_for_post)."""
    base = selectors.short_base(workspace=post.workspace)
    if not base.startswith(("http://", "https://")):
        logger.warning("No public address for short links: set PORTEVOIX_BASE_URL; links left as they are")
        return text
    made: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        address, tail = _split_trailing(match.group(0))
        if address.startswith(f"{base}{selectors.PREFIX}"):
            return match.group(0)
        if address not in made:
            try:
                target = targets.clean_target(address)
            except ValidationFailed:
                return match.group(0)
            link = ShortLink.objects.filter(
                workspace_id=post.workspace_id, post=post, channel=channel, target_url=target, disabled=False
            ).first()
            if link is None:
                link = _create(
                    workspace=post.workspace,
                    url=target,
                    post=post,
                    channel=channel,
                    campaign="",
                    created_by=None,
                )
            made[address] = f"{base}{selectors.PREFIX}{link.code}"
        return made[address] + tail

    with transaction.atomic():
        return URL_IN_TEXT.sub(replace, text)


# --- Clicks (written by the fast path's flusher) -------------------------------------------------------


class ClickRow(NamedTuple):  # a tuple, not a dataclass: thousands are made per second on the hot path
    link_id: int
    workspace_id: int
    at: dt.datetime  # aware, UTC
    referrer_host: str
    device: int
    is_bot: bool
    country: str


def clicks_store(*, rows: Sequence[ClickRow]) -> int:
    """Insert ``rows`` in one transaction (one multi-row statement, not one ORM object per click) and add
    them to the hourly roll-up. Clicks of links deleted meanwhile are dropped. Returns the rows stored."""
    if not rows:
        return 0
    live = set(ShortLink.objects.filter(pk__in={row.link_id for row in rows}).values_list("pk", flat=True))
    rows = [row for row in rows if row.link_id in live]
    if not rows:
        return 0
    ops = connection.ops
    sqlite = connection.vendor == "sqlite"
    table = connection.ops.quote_name(Click._meta.db_table)
    columns = ", ".join(
        ops.quote_name(name)
        for name in ("link_id", "workspace_id", "at", "referrer_host", "device", "is_bot", "country")
    )
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608 (fixed names)
    params = [
        (
            row.link_id,
            row.workspace_id,
            # Django's own adapter, minus its checks: SQLite stores naive UTC text, others take the value.
            row.at.replace(tzinfo=None).isoformat(" ") if sqlite else row.at,
            row.referrer_host,
            row.device,
            row.is_bot,
            row.country,
        )
        for row in rows
    ]
    hourly: dict[tuple[int, int, dt.datetime], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts = hourly[(row.link_id, row.workspace_id, row.at.replace(minute=0, second=0, microsecond=0))]
        counts[1 if row.is_bot else 0] += 1
    with transaction.atomic():
        with connection.cursor() as cursor:
            for start in range(0, len(params), INSERT_CHUNK):
                chunk = params[start : start + INSERT_CHUNK]
                if connection.vendor == "postgresql":  # COPY: a third of the statements' cost, both sides
                    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for values in chunk:
                            copy.write_row(values)
                else:
                    cursor.executemany(sql, chunk)
                time.sleep(0)  # let the redirect's event loop run between chunks (same transaction)
        # One upsert per (link, hour), in key order: concurrent writers lock the rows in the same order.
        upsert_adding(
            LinkHourly._meta.db_table,
            ("link_id", "hour"),
            ("link_id", "workspace_id", "hour", "humans", "bots"),
            ("humans", "bots"),
            [
                (link_id, workspace_id, _hour_param(hour, sqlite), humans, bots)
                for (link_id, workspace_id, hour), (humans, bots) in sorted(hourly.items())
            ],
        )
    return len(rows)


def _hour_param(hour: dt.datetime, sqlite: bool) -> Any:
    """An hour (aware, UTC) as Django stores it: naive text on SQLite, where the unique key compares text."""
    return hour.replace(tzinfo=None).isoformat(" ") if sqlite else hour


# --- Demo data (``portevoix demo``) --------------------------------------------------------------------

DEMO_TARGETS = (
    "https://maison-lumiere.example/collection/printemps",
    "https://maison-lumiere.example/blog/atelier",
    "https://maison-lumiere.example/boutique/lampe-opaline",
)
# Where visitors come from, per network: the referrer hosts a real click would carry.
DEMO_REFERRERS = {
    "telegram": ("", "web.telegram.org"),
    "vk": ("away.vk.com", "vk.com"),
    "mastodon": ("mastodon.social", ""),
    "bluesky": ("bsky.app", ""),
}


def demo_links_create(*, by: Membership, days: int = 30, seed: int = 20261126) -> int:
    """Short links for the workspace's posts (or three plain ones) with a month of believable clicks:
    a daily rhythm, people on phones mostly, about one click in eight from bots and link previewers.
    Does nothing when the workspace already has links. Returns the number of clicks stored."""
    import random

    permissions.require(by, "link.manage")
    if ShortLink.objects.filter(workspace=by.workspace).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 (demo data, not a secret)
    links: list[ShortLink] = []
    posts = list(Post.objects.filter(workspace=by.workspace).order_by("pk")[:6])
    for index, post in enumerate(posts):
        target = post.targets.select_related("channel").order_by("pk").first()  # type: ignore[attr-defined]
        channel = target.channel if target is not None else None
        links.append(
            link_create(by=by, url=DEMO_TARGETS[index % len(DEMO_TARGETS)], post=post, channel=channel)
        )
    for url in DEMO_TARGETS[: max(0, 3 - len(links))]:
        links.append(link_create(by=by, url=url, campaign="printemps"))
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    rows: list[ClickRow] = []
    for link in links:
        network = link.channel.network if link.channel is not None else ""
        referrers = DEMO_REFERRERS.get(network, ("", "t.co", "www.facebook.com"))
        popularity = rng.uniform(2, 12)
        for day in range(days):
            for _click in range(int(popularity * rng.uniform(0.3, 1.4) * (1.0 if day < days // 2 else 1.6))):
                hour = rng.choice((8, 9, 12, 13, 18, 19, 20, 21, 22, rng.randrange(24)))
                at = (
                    now
                    - dt.timedelta(days=days - day - 1, hours=now.hour)
                    + dt.timedelta(hours=hour, seconds=rng.randrange(3600))
                )
                if at > now:
                    continue
                bot = rng.random() < 0.12
                device = 4 if bot else rng.choices((2, 1, 3, 0), weights=(62, 30, 7, 1))[0]
                rows.append(
                    ClickRow(
                        link.pk,
                        link.workspace_id,
                        at,
                        rng.choice(referrers),
                        device,
                        bot,
                        rng.choice(("FR", "FR", "FR", "BE", "CH", "CA", "")),
                    )
                )
    return clicks_store(rows=rows)


# --- Links of posts as they are published (publishing/outgoing.py) ------------------------------------


def published_text(target: Target, text: str) -> str:
    """The engine's text transform: short links in the text when the workspace shortens posts' links."""
    if "http" not in text:
        return text
    if not LinkSettings.objects.filter(workspace_id=target.workspace_id, shorten_in_posts=True).exists():
        return text
    return shorten_text(post=target.post, channel=target.channel, text=text)
