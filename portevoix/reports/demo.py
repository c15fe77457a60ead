"""Demo results for ``portevoix demo``: 90 days of believable social media figures so that the
dashboards and reports mean something on a first run.

What it adds to the demo workspace, all marked as demo data ("Demo ·" channel names, "[Demo]" post
titles, an inactive "Demo GA4 (sample data)" integration, a "Demo site" for the tracker):
- four channels (Telegram, VK, Mastodon, Bluesky), disconnected so that no job calls a network;
- three rubrics and about 80 posts published over the last 90 days, some on several channels;
- post metric snapshots (1, 3 and 7 days after publication) with what each network really gives (no views
  on Telegram's Bot API, Mastodon or Bluesky) and follower counts growing day by day;
- tracked short links on half of the posts, with human and bot clicks;

- when the site tracker (analytics app) is installed: social visits from those clicks with bounces and
  engaged time, plus some search and direct visits, and conversions (sign-ups, purchases with revenue)
  attributed to the posts;
- GA4-like daily traffic rows per source / medium / campaign.

Deterministic (a fixed seed; dates relative to today), idempotent (nothing is added when the demo
channels exist), and fast: follower counts and clicks of the new demo channels and links are written in
bulk (the same rows and roll-ups the metrics and links services write one by one); post metrics go
through metrics' snapshots_write, links through links' link_create.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import secrets
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content.models import Post
from portevoix.integrations.models import AnalyticsIntegration, IntegrationStatus, TrafficDaily
from portevoix.links.models import Click, LinkHourly, ShortLink
from portevoix.links.services import ClickRow, link_create
from portevoix.metrics.models import FollowerDaily, FollowerSnapshot, Source
from portevoix.metrics.services.months import follower_months_fill
from portevoix.metrics.services.record import Reading, Values, snapshots_write
from portevoix.planning.models import Rubric
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import new_idempotency_key
from portevoix.reports.models import ReportBranding
from portevoix.reports.services import branding_set_logo
from portevoix.workspaces.models import Membership

SEED = 20260501
DAYS = 90
SITE = "https://maison-lumiere.example"

CHANNELS = (
    # network, name, handle, base URL, followers 90 days ago, daily growth, audience activity
    (
        "telegram",
        "Demo · Maison Lumière (Telegram)",
        "@maisonlumiere_demo",
        "https://api.telegram.org",
        2400,
        9.0,
        1.0,
    ),
    (
        "vk",
        "Demo · Maison Lumière (VK)",
        "club_maisonlumiere_demo",
        "https://api.vk.com/method",
        5200,
        14.0,
        1.3,
    ),
    (
        "mastodon",
        "Demo · Maison Lumière (Mastodon)",
        "@maisonlumiere@mastodon.social",
        "https://mastodon.social",
        860,
        3.0,
        0.7,
    ),
    (
        "bluesky",
        "Demo · Maison Lumière (Bluesky)",
        "maisonlumiere-demo.bsky.social",
        "https://bsky.social",
        1300,
        6.5,
        0.9,
    ),
)
RUBRICS = (
    ("Atelier", "#e8590c", "Coulisses de l'atelier"),
    ("Nouveautés", "#4c6ef5", "Nouvelles collections"),
    ("Conseils", "#2b8a3e", "Conseils de décoration"),
)
SUBJECTS = {
    "Atelier": (
        "Le coulage de la cire, pas à pas",
        "Nos mèches en coton, choisies une à une",
        "Une journée avec Margaux, notre cirière",
        "D'où vient notre cire de colza",
        "Le verre soufflé de nos photophores",
    ),
    "Nouveautés": (
        "La collection Printemps est arrivée",
        "Nouvelle bougie « Figuier de Provence »",
        "La lampe Opaline en trois couleurs",
        "Édition limitée : coffret Fête des mères",
        "Retour de la bougie « Bois d'hiver »",
    ),
    "Conseils": (
        "Trois astuces pour une combustion parfaite",
        "Comment éclairer un petit salon",
        "Recouper la mèche : pourquoi, quand",
        "Marier les parfums d'une pièce à l'autre",
        "Créer une ambiance pour un dîner d'été",
    ),
}
REFERRERS = {
    "telegram": ("", "web.telegram.org"),
    "vk": ("away.vk.com", "vk.com"),
    "mastodon": ("mastodon.social", ""),
    "bluesky": ("bsky.app", ""),
}
LANDINGS = ("/collection/printemps", "/boutique/lampe-opaline", "/blog/atelier", "/boutique/coffrets")


def already_seeded(workspace: Any) -> bool:
    return Channel.objects.filter(workspace=workspace, external_id__startswith="demo:").exists()


def seed_results(owner: Membership, *, today: dt.date | None = None, seed: int = SEED) -> dict[str, int]:
    """Add the demo results to ``owner``'s workspace (nothing when they are there already). Returns what
    was created, by kind."""
    workspace = owner.workspace
    if already_seeded(workspace):
        return {}
    rng = random.Random(seed)  # noqa: S311 (demo figures, not a secret)
    tz = workspace.tzinfo
    now = timezone.now()
    today = today or timezone.localtime(now, tz).date()
    first_day = today - dt.timedelta(days=DAYS)
    counts: dict[str, int] = {}

    rubrics = []
    for name, colour, description in RUBRICS:
        rubric, _created = Rubric.objects.get_or_create(
            workspace=workspace, name=name, defaults={"colour": colour, "description": description}
        )
        rubrics.append(rubric)

    channels: list[tuple[Channel, float, float]] = []
    for network, name, handle, base_url, start_followers, growth, activity in CHANNELS:
        channel = Channel.objects.create(
            workspace=workspace,
            network=network,
            name=name,
            external_id=f"demo:{network}",
            handle=handle,
            base_url=base_url,
            status=ChannelStatus.DISCONNECTED,
            options={"demo": True},
            created_by=owner.user,
        )
        channels.append((channel, start_followers, activity))
        followers = float(start_followers)
        # One reading a day on a new channel: the rows followers_write would make, written in bulk.
        snapshots, daily = [], []
        for offset in range(DAYS + 1):
            day = first_day + dt.timedelta(days=offset)
            followers += growth * rng.uniform(0.2, 1.8) - rng.uniform(0, growth * 0.35)
            instant = min(dt.datetime.combine(day, dt.time(23, 0), tzinfo=tz), now)
            common = {"workspace_id": workspace.pk, "channel": channel, "followers": int(followers)}
            snapshots.append(FollowerSnapshot(collected_at=instant, source=Source.API, **common))
            daily.append(FollowerDaily(day=day, collected_at=instant, source=Source.API, **common))
        FollowerSnapshot.objects.bulk_create(snapshots)
        FollowerDaily.objects.bulk_create(daily)
        channel.followers = int(followers)
        channel.save(update_fields=["followers"])
    follower_months_fill(workspace_id=workspace.pk)  # the month rows of the daily counts written in bulk
    counts["channels"] = len(channels)

    posts: list[tuple[Post, list[Target]]] = []
    readings: list[Reading] = []
    day = first_day + dt.timedelta(days=1)
    number = 0
    while day < today:
        rubric = rubrics[number % len(rubrics)]
        title = SUBJECTS[rubric.name][(number // len(rubrics)) % len(SUBJECTS[rubric.name])]
        published = dt.datetime.combine(
            day, dt.time(rng.choice((9, 12, 18, 19, 20)), rng.choice((0, 15, 30))), tzinfo=tz
        )
        post = Post.objects.create(
            workspace=workspace,
            author=owner.user,
            title=f"[Demo] {title}",
            text=f"{title}. Découvrez-le sur {SITE} ✨",
            link=f"{SITE}{rng.choice(LANDINGS)}",
            rubric=rubric,
            scheduled_at=published,
            timezone=workspace.timezone,
        )
        chosen = [item for item in channels if rng.random() < 0.55] or [rng.choice(channels)]
        targets = []
        for channel, _start, activity in chosen:
            target = Target.objects.create(
                workspace=workspace,
                post=post,
                channel=channel,
                state=TargetState.PUBLISHED,
                published_at=published,
                remote_id=f"demo-{post.pk}-{channel.network}",
                remote_url=f"https://example.invalid/demo/{channel.network}/{post.pk}",
                idempotency_key=new_idempotency_key(),
            )
            targets.append(target)
            quality = rng.lognormvariate(0, 0.45) * activity * (1.25 if rubric.name == "Nouveautés" else 1.0)
            readings += _readings(rng, target, channel.network, quality, published, now)
        posts.append((post, targets))
        number += 1
        day += dt.timedelta(days=rng.choice((1, 1, 2)))
    snapshots_write(readings=readings, source="api")
    counts["posts"] = len(posts)
    counts["metric_snapshots"] = len(readings)

    links, clicks = _links_and_clicks(rng, owner, posts, now)
    counts["short_links"] = len(links)
    counts["clicks"] = _store_clicks(clicks)
    if apps.is_installed("portevoix.analytics"):
        counts.update(_tracker(rng, owner, links, clicks, first_day, now))
    counts["traffic_rows"] = _traffic(rng, owner, first_day, today)
    return counts


def _readings(
    rng: random.Random, target: Target, network: str, quality: float, published: dt.datetime, now: dt.datetime
) -> list[Reading]:
    result = []
    for age_days, share in ((1, 0.62), (3, 0.88), (7, 1.0)):
        at = published + dt.timedelta(days=age_days)
        if at > now:
            break
        base = 900 * quality * share
        likes = int(base * rng.uniform(0.035, 0.06))
        comments = int(base * rng.uniform(0.002, 0.008))
        shares = int(base * rng.uniform(0.004, 0.012))
        if network == "vk":
            views = int(base * rng.uniform(1.6, 2.0))
            values = Values(
                views=views, reach=int(views * 0.8), likes=likes, comments=comments, shares=shares
            )
        elif network == "telegram":  # the Bot API gives reactions only
            values = Values(likes=likes)
        elif network == "bluesky":
            values = Values(likes=likes, comments=comments, shares=shares, quotes=int(shares * 0.3))
        else:  # mastodon: favourites, replies, boosts
            values = Values(likes=likes, comments=comments, shares=shares)
        result.append(Reading(target, values, at))
    return result


def _links_and_clicks(
    rng: random.Random, owner: Membership, posts: list[tuple[Post, list[Target]]], now: dt.datetime
) -> tuple[list[tuple[ShortLink, Target]], list[ClickRow]]:
    links: list[tuple[ShortLink, Target]] = []
    rows: list[ClickRow] = []
    for post, targets in posts:
        for target in targets:
            if rng.random() > 0.5:
                continue
            link = link_create(
                by=owner, url=post.link, post=post, channel=target.channel, campaign="printemps"
            )
            links.append((link, target))
            total = int(rng.lognormvariate(3.0, 0.6))
            published = target.published_at or now
            for _click in range(total):
                at = published + dt.timedelta(hours=rng.expovariate(1 / 20))
                if at > now:
                    continue
                bot = rng.random() < 0.12
                rows.append(
                    ClickRow(
                        link.pk,
                        link.workspace_id,
                        at.astimezone(dt.UTC),
                        "" if bot else rng.choice(REFERRERS[target.channel.network]),
                        4 if bot else rng.choices((2, 1, 3), weights=(64, 30, 6))[0],
                        bot,
                        "" if bot else rng.choice(("FR", "FR", "FR", "BE", "CH", "CA")),
                    )
                )
    return links, rows


def _store_clicks(rows: list[ClickRow]) -> int:
    """The rows links.services.clicks_store would make (clicks and their hourly roll-up), in bulk: the
    links are new, so no hourly row exists yet."""
    Click.objects.bulk_create(
        [
            Click(
                link_id=row.link_id,
                workspace_id=row.workspace_id,
                at=row.at,
                referrer_host=row.referrer_host,
                device=row.device,
                is_bot=row.is_bot,
                country=row.country,
            )
            for row in rows
        ],
        batch_size=1000,
    )
    hourly: dict[tuple[int, int, dt.datetime], list[int]] = {}
    for row in rows:
        key = (row.link_id, row.workspace_id, row.at.replace(minute=0, second=0, microsecond=0))
        hourly.setdefault(key, [0, 0])[1 if row.is_bot else 0] += 1
    LinkHourly.objects.bulk_create(
        [
            LinkHourly(link_id=link_id, workspace_id=workspace_id, hour=hour, humans=humans, bots=bots)
            for (link_id, workspace_id, hour), (humans, bots) in hourly.items()
        ],
        batch_size=1000,
    )
    return len(rows)


def _tracker(
    rng: random.Random,
    owner: Membership,
    links: list[tuple[ShortLink, Target]],
    clicks: list[ClickRow],
    first_day: dt.date,
    now: dt.datetime,
) -> dict[str, int]:
    site_model = apps.get_model("analytics", "Site")
    visit_model = apps.get_model("analytics", "Visit")
    conversion_model = apps.get_model("analytics", "Conversion")
    workspace = owner.workspace
    site = site_model.objects.create(
        workspace=workspace,
        name="Demo site: maison-lumiere.example",
        public_key=secrets.token_urlsafe(12),
        secret_hash=secrets.token_hex(32),  # no key was issued: server-side conversions are off
        domains="maison-lumiere.example",
    )
    by_link = {link.pk: (link, target) for link, target in links}
    visits = []
    for row in clicks:
        if row.is_bot or rng.random() > 0.75:  # some clicks never load the page
            continue
        link, target = by_link[row.link_id]
        network = target.channel.network
        visits.append(_visit(rng, visit_model, site, row.at, network, link, target.post_id))
    tz = workspace.tzinfo
    for offset in range(DAYS):
        day = first_day + dt.timedelta(days=offset)
        for _visit_number in range(rng.randint(8, 20)):  # search and direct visits: not social
            at = dt.datetime.combine(day, dt.time(rng.randrange(8, 23), rng.randrange(60)), tzinfo=tz)
            if at < now:
                visits.append(_visit(rng, visit_model, site, at.astimezone(dt.UTC), "", None, None))
    visit_model.objects.bulk_create(visits, batch_size=500)
    conversions: list[Any] = []
    for visit in visits:
        roll = rng.random()
        if visit.bounced or roll > 0.12:
            continue
        purchase = roll < 0.05
        conversions.append(
            conversion_model(
                workspace=workspace,
                site=site,
                visit=visit,
                at=visit.last_seen_at,
                goal="purchase" if purchase else rng.choice(("signup", "signup", "registration")),
                revenue=Decimal(rng.choice((24, 32, 45, 59, 89, 129))) + Decimal("0.90")
                if purchase
                else None,
                currency="EUR" if purchase else "",
                network=visit.network,
                campaign=visit.campaign,
                post_id=visit.post_id,
                source="page",
                order_id=f"demo-{len(conversions) + 1}" if purchase else "",
            )
        )
    conversion_model.objects.bulk_create(conversions, batch_size=500)
    return {"sites": 1, "visits": len(visits), "conversions": len(conversions)}


def _visit(
    rng: random.Random, model: Any, site: Any, at: dt.datetime, network: str, link: Any, post_id: int | None
) -> Any:
    bounced = rng.random() < (0.42 if network else 0.55)
    seconds = rng.randint(0, 9) if bounced else int(rng.lognormvariate(4.0, 0.7))
    source = network or rng.choice(("google", "google", "(direct)", "bing"))
    return model(
        workspace_id=site.workspace_id,
        site=site,
        visitor=f"{rng.getrandbits(128):032x}",
        started_at=at,
        last_seen_at=at + dt.timedelta(seconds=seconds),
        landing_path=rng.choice(LANDINGS),
        referrer_host=rng.choice(REFERRERS.get(network, ("www.google.com", ""))),
        source=source,
        medium="social" if network else ("organic" if source in ("google", "bing") else "(none)"),
        campaign="printemps" if network else "",
        content=str(post_id or ""),
        network=network,
        post_id=post_id,
        link=link,
        pageviews=1 if bounced else rng.randint(2, 7),
        engaged_seconds=seconds,
        engaged=not bounced,
        bounced=bounced,
        device=rng.choices((2, 1, 3), weights=(64, 30, 6))[0],
        country=rng.choice(("FR", "FR", "FR", "BE", "CH", "")),
    )


def _traffic(rng: random.Random, owner: Membership, first_day: dt.date, today: dt.date) -> int:
    """GA4-like daily rows on an inactive integration (it is never imported: it holds sample data)."""
    integration = AnalyticsIntegration.objects.create(
        workspace=owner.workspace,
        kind="ga4",
        name="Demo GA4 (sample data)",
        config={"property_id": "000000000", "demo": True},
        active=False,
        status=IntegrationStatus.OK,
        account_label="demo@example.invalid",
        created_by=owner.user,
    )
    sources = (
        ("vk.com", "social", 18),
        ("t.me", "social", 12),
        ("bsky.app", "referral", 5),
        ("mastodon.social", "referral", 4),
        ("google", "organic", 60),
        ("(direct)", "(none)", 35),
    )
    rows = []
    day = first_day
    while day < today:
        for source, medium, mean in sources:
            sessions = max(0, int(rng.gauss(mean, mean * 0.3)))
            if not sessions:
                continue
            engaged = int(sessions * rng.uniform(0.45, 0.7))
            conversions = float(rng.randint(0, max(1, sessions // 15)))
            rows.append(
                TrafficDaily(
                    workspace=owner.workspace,
                    integration=integration,
                    day=day,
                    source=source,
                    medium=medium,
                    campaign="printemps" if medium == "social" else "(not set)",
                    sessions=sessions,
                    engaged_sessions=engaged,
                    bounce_rate=round((sessions - engaged) / sessions * 100, 2),
                    avg_duration=round(rng.uniform(35, 140), 1),
                    conversions=conversions,
                    revenue=Decimal(int(conversions) * rng.choice((45, 59, 89))) if conversions else None,
                    currency="EUR" if conversions else "",
                )
            )
        day += dt.timedelta(days=1)
    TrafficDaily.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def demo_logo() -> bytes:
    """A small PNG logo drawn here (no file to ship): a warm square with the brand's initials."""
    from PIL import Image, ImageDraw, ImageFont

    from portevoix.reports.pdf import FONT_DIRS

    image = Image.new("RGB", (400, 96), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, 92, 92), radius=14, fill="#e8590c")
    font_file = next(
        (
            folder / "DejaVuSans-Bold.ttf"
            for folder in FONT_DIRS
            if (folder / "DejaVuSans-Bold.ttf").is_file()
        ),
        None,
    )
    big = ImageFont.truetype(str(font_file), 40) if font_file else ImageFont.load_default()
    small = ImageFont.truetype(str(font_file), 30) if font_file else ImageFont.load_default()
    draw.text((48, 48), "ML", fill="white", font=big, anchor="mm")
    draw.text((108, 48), "Maison Lumière", fill="#343a40", font=small, anchor="lm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed_measure(demo: Any) -> None:
    """The ``portevoix demo`` step (workspaces/management/commands/demo.py)."""
    counts = seed_results(demo.owner)
    if (
        counts
        and not ReportBranding.objects.filter(workspace=demo.owner.workspace).exclude(logo=None).exists()
    ):
        logo = SimpleUploadedFile("maison-lumiere.png", demo_logo(), "image/png")
        branding_set_logo(by=demo.owner, file=logo)
        counts["report_logo"] = 1
    for kind, count in counts.items():
        demo.created.append(f"{count} demo {kind.replace('_', ' ')}")
