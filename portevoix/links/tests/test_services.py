"""Links, UTM rules, short links in a post's text, and storing clicks, on the real database."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from portevoix.channels.models import Channel
from portevoix.content import services as content_services
from portevoix.content.models import PostVariant
from portevoix.core.errors import PermissionDenied, ValidationFailed
from portevoix.links import selectors, services
from portevoix.links.models import Click, Device, LinkHourly, ShortLink
from portevoix.planning.models import Rubric
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def channel(workspace, network="telegram", name="Acme news"):
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        external_id=f"@{network}",
        name=name,
        base_url="https://api.test",
    )


def query(url):
    return parse_qs(urlsplit(url).query)


def test_a_link_gets_a_code_and_the_default_utm_tags(team):
    owner = team.member(Role.OWNER)
    rubric = Rubric.objects.create(workspace=team.workspace, name="Product news")
    post = content_services.post_create(by=owner, text="Launch")
    post.rubric = rubric
    post.save()
    tg = channel(team.workspace)
    link = services.link_create(by=owner, url="https://shop.example/launch?ref=x", post=post, channel=tg)
    assert len(link.code) == 8
    assert link.target_url == "https://shop.example/launch?ref=x"
    assert query(link.final_url) == {
        "ref": ["x"],
        "utm_source": ["telegram"],
        "utm_medium": ["social"],
        "utm_campaign": ["Product news"],
        "utm_content": [str(post.pk)],
    }
    assert link.created_by == owner.user
    assert AuditEvent.objects.filter(action="link.create", object_id=str(link.pk)).exists()


def test_a_campaign_given_wins_over_the_rubric_and_empty_tags_are_left_out(team):
    link = services.link_create(
        by=team.member(Role.COPYWRITER), url="https://example.com", campaign="spring-sale"
    )
    assert query(link.final_url) == {"utm_medium": ["social"], "utm_campaign": ["spring-sale"]}


def test_rules_change_the_tags_of_new_links_only(team):
    owner = team.member(Role.OWNER)
    old = services.link_create(by=owner, url="https://example.com/?utm_source=mail")
    services.link_settings_update(
        by=owner,
        utm_source="pv-{network}",
        utm_medium="smm",
        utm_campaign="{workspace}",
        utm_content="{channel}",
        override=True,
    )
    tg = channel(team.workspace, name="Acme & friends")
    new = services.link_create(by=owner, url="https://example.com/?utm_source=mail", channel=tg)
    assert query(new.final_url) == {
        "utm_source": ["pv-telegram"],
        "utm_medium": ["smm"],
        "utm_campaign": [team.workspace.slug],
        "utm_content": ["Acme & friends"],
    }
    old.refresh_from_db()
    assert query(old.final_url)["utm_source"] == ["mail"]  # made before, kept; and kept without override


@pytest.mark.parametrize("role", [Role.TARGETOLOGIST, Role.ANALYST, Role.CLIENT])
def test_only_creators_make_links_and_edit_rules(team, role):
    with pytest.raises(PermissionDenied):
        services.link_create(by=team.member(role), url="https://example.com")
    with pytest.raises(PermissionDenied):
        services.link_settings_update(
            by=team.member(role),
            utm_source="x",
            utm_medium="y",
            utm_campaign="",
            utm_content="",
            override=False,
        )
    assert not ShortLink.objects.exists()


def test_a_foreign_post_or_channel_is_refused(team, other_team):
    theirs = content_services.post_create(by=other_team.member(Role.OWNER), text="Theirs")
    with pytest.raises(ValidationFailed) as caught:
        services.link_create(by=team.member(Role.OWNER), url="https://example.com", post=theirs)
    assert "post_id" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.link_create(
            by=team.member(Role.OWNER), url="https://example.com", channel=channel(other_team.workspace)
        )
    assert "channel_id" in caught.value.fields


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "/x", "ftp://x.example", "https://u:p@x.example"]
)
def test_bad_targets_make_no_link(team, url):
    with pytest.raises(ValidationFailed):
        services.link_create(by=team.member(Role.OWNER), url=url)
    assert not ShortLink.objects.exists()


def test_a_code_collision_draws_another_code(team, monkeypatch):
    owner = team.member(Role.OWNER)
    first = services.link_create(by=owner, url="https://example.com/1")
    drawn = iter([first.code, first.code, "Zz9Zz9Zz"])
    monkeypatch.setattr("portevoix.links.codes.new_code", lambda: next(drawn))
    second = services.link_create(by=owner, url="https://example.com/2")
    assert second.code == "Zz9Zz9Zz"


def test_custom_domains_are_checked_and_unique(team, other_team):
    owner = team.member(Role.OWNER)
    rules = {
        "utm_source": "{network}",
        "utm_medium": "social",
        "utm_campaign": "",
        "utm_content": "",
        "override": False,
    }
    saved = services.link_settings_update(by=owner, custom_domain=" Go.Acme.example. ", **rules)
    assert saved.custom_domain == "go.acme.example"
    assert selectors.custom_domains() == {"go.acme.example": team.workspace.pk}
    assert selectors.short_base(workspace=team.workspace) == "https://go.acme.example"
    for bad in ["https://go.example", "go.example/path", "go.example:8080", "localhost", "a b.example"]:
        with pytest.raises(ValidationFailed) as caught:
            services.link_settings_update(by=owner, custom_domain=bad, **rules)
        assert "custom_domain" in caught.value.fields
    with pytest.raises(ValidationFailed, match="Another workspace"):
        services.link_settings_update(
            by=other_team.member(Role.OWNER), custom_domain="go.acme.example", **rules
        )


def test_deleting_a_clicked_link_disables_it(team):
    owner = team.member(Role.OWNER)
    unused = services.link_create(by=owner, url="https://example.com/a")
    assert services.link_delete(by=owner, link=unused) is True
    assert not ShortLink.objects.filter(pk=unused.pk).exists()
    used = services.link_create(by=owner, url="https://example.com/b")
    services.clicks_store(rows=[row(used)])
    assert services.link_delete(by=owner, link=used) is False
    used.refresh_from_db()
    assert used.disabled
    assert Click.objects.filter(link=used).count() == 1


# --- Short links in a post's text -----------------------------------------------------------------------


def test_links_for_post_replaces_every_address_once(team, settings):
    settings.PORTEVOIX_BASE_URL = "https://pv.example"
    owner = team.member(Role.OWNER)
    vk = channel(team.workspace, network="vk", name="Acme VK")
    post = content_services.post_create(
        by=owner,
        text="Read https://blog.example/a, then (see https://shop.example/b). Again: https://blog.example/a! "
        "Not this: javascript:alert(1) nor ftp://x.example, and https://en.wikipedia.org/wiki/Foo_(bar)",
    )
    text = services.links_for_post(post=post, channel=vk)
    links = {link.target_url: link for link in ShortLink.objects.filter(post=post, channel=vk)}
    assert set(links) == {
        "https://blog.example/a",
        "https://shop.example/b",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
    }
    a, b = links["https://blog.example/a"], links["https://shop.example/b"]
    assert text == (
        f"Read https://pv.example/l/{a.code}, then (see https://pv.example/l/{b.code}). "
        f"Again: https://pv.example/l/{a.code}! Not this: javascript:alert(1) nor ftp://x.example, and "
        f"https://pv.example/l/{links['https://en.wikipedia.org/wiki/Foo_(bar)'].code}"
    )
    assert query(a.final_url)["utm_source"] == ["vk"]
    assert query(a.final_url)["utm_content"] == [str(post.pk)]
    assert a.created_by is None
    # a retry makes no new link
    assert services.links_for_post(post=post, channel=vk) == text
    assert ShortLink.objects.filter(post=post).count() == 3


def test_links_for_post_uses_the_network_variant_and_one_link_per_channel(team, settings):
    settings.PORTEVOIX_BASE_URL = "https://pv.example"
    owner = team.member(Role.OWNER)
    tg, vk = channel(team.workspace), channel(team.workspace, network="vk", name="VK")
    post = content_services.post_create(by=owner, text="Base https://example.com/x")
    PostVariant.objects.create(post=post, network="vk", text="VK text https://example.com/vk")
    assert "example.com" not in services.links_for_post(post=post, channel=tg)
    assert services.links_for_post(post=post, channel=vk).startswith("VK text https://pv.example/l/")
    assert {(link.channel.network, link.target_url) for link in ShortLink.objects.filter(post=post)} == {
        ("telegram", "https://example.com/x"),
        ("vk", "https://example.com/vk"),
    }


def test_links_for_post_needs_a_public_address(team, settings):
    settings.PORTEVOIX_BASE_URL = ""
    settings.PORTEVOIX_SHORT_BASE_URL = ""
    post = content_services.post_create(by=team.member(Role.OWNER), text="See https://example.com")
    assert services.links_for_post(post=post, channel=channel(team.workspace)) == "See https://example.com"
    assert not ShortLink.objects.exists()


def test_links_for_post_refuses_a_foreign_channel(team, other_team, settings):
    settings.PORTEVOIX_BASE_URL = "https://pv.example"
    post = content_services.post_create(by=team.member(Role.OWNER), text="See https://example.com")
    with pytest.raises(ValidationFailed):
        services.links_for_post(post=post, channel=channel(other_team.workspace))


# --- Clicks ---------------------------------------------------------------------------------------------


def row(link, *, at=None, bot=False, device=Device.MOBILE, host="t.co", country=""):
    return services.ClickRow(
        link_id=link.pk,
        workspace_id=link.workspace_id,
        at=at or dt.datetime(2025, 3, 30, 0, 30, tzinfo=dt.UTC),
        referrer_host=host,
        device=Device.BOT if bot else device,
        is_bot=bot,
        country=country,
    )


def test_clicks_are_stored_in_one_batch_with_an_hourly_rollup(team, django_assert_max_num_queries):
    owner = team.member(Role.OWNER)
    link = services.link_create(by=owner, url="https://example.com")
    early = dt.datetime(2025, 3, 30, 0, 5, tzinfo=dt.UTC)
    late = dt.datetime(2025, 3, 30, 1, 59, tzinfo=dt.UTC)
    rows = (
        [row(link, at=early)] * 500
        + [row(link, at=early, bot=True)] * 20
        + [row(link, at=late, country="FR")] * 3
    )
    with django_assert_max_num_queries(14):  # not one query per click: a few per 250 clicks and hour
        assert services.clicks_store(rows=rows) == 523
    assert Click.objects.filter(link=link).count() == 523
    assert Click.objects.filter(link=link, is_bot=True).count() == 20
    assert Click.objects.filter(country="FR", at=late).count() == 3
    stored = Click.objects.filter(link=link).first()
    assert stored.workspace_id == team.workspace.pk
    assert stored.referrer_host == "t.co"
    hourly = {(h.hour, h.humans, h.bots) for h in LinkHourly.objects.filter(link=link)}
    assert hourly == {(early.replace(minute=0), 500, 20), (late.replace(minute=0), 3, 0)}
    services.clicks_store(rows=[row(link, at=early)])
    assert LinkHourly.objects.get(link=link, hour=early.replace(minute=0)).humans == 501
    listed = selectors.link_get(by=team.member(Role.ANALYST), link_id=link.pk)
    assert (listed.human_clicks, listed.bot_clicks) == (504, 20)


def test_the_hourly_rollup_adds_to_a_row_the_orm_wrote(team):
    """The roll-up's upsert finds an hour the ORM stored (before it, or by another writer): one row, the
    counts added (on SQLite the key is compared as text, so both must write the hour alike)."""
    link = services.link_create(by=team.member(Role.OWNER), url="https://example.com")
    hour = dt.datetime(2025, 3, 30, 0, 0, tzinfo=dt.UTC)
    LinkHourly.objects.create(link=link, workspace_id=link.workspace_id, hour=hour, humans=7, bots=1)
    services.clicks_store(rows=[row(link, at=hour.replace(minute=40, second=5)), row(link, bot=True)])
    assert list(LinkHourly.objects.filter(link=link).values_list("hour", "humans", "bots")) == [(hour, 8, 2)]


def test_clicks_of_deleted_links_are_dropped(team):
    link = services.link_create(by=team.member(Role.OWNER), url="https://example.com")
    gone = row(link)
    link.delete()
    assert services.clicks_store(rows=[gone]) == 0
    assert services.clicks_store(rows=[]) == 0


def test_clicks_by_day_follow_the_workspace_time_zone_across_dst(team):
    """Europe/Paris moves to summer time on 2025-03-30 at 01:00 UTC; days are cut at local midnight."""
    link = services.link_create(by=team.member(Role.OWNER), url="https://example.com")
    rows = [
        row(link, at=dt.datetime(2025, 3, 29, 22, 59, tzinfo=dt.UTC)),  # 23:59 on the 29th in Paris (UTC+1)
        row(link, at=dt.datetime(2025, 3, 29, 23, 0, tzinfo=dt.UTC)),  # 00:00 on the 30th
        row(link, at=dt.datetime(2025, 3, 30, 21, 59, tzinfo=dt.UTC)),  # 23:59 on the 30th (UTC+2 now)
        row(link, at=dt.datetime(2025, 3, 30, 22, 0, tzinfo=dt.UTC)),  # 00:00 on the 31st
        row(link, at=dt.datetime(2025, 3, 30, 12, 0, tzinfo=dt.UTC), bot=True),
    ]
    services.clicks_store(rows=rows)
    _start, _end, days = selectors.link_clicks_by_day(
        by=team.member(Role.CLIENT), link=link, start=dt.date(2025, 3, 29), end=dt.date(2025, 4, 1)
    )
    assert [(day.date.isoformat(), day.clicks, day.bots) for day in days] == [
        ("2025-03-29", 1, 0),
        ("2025-03-30", 2, 1),
        ("2025-03-31", 1, 0),
        ("2025-04-01", 0, 0),
    ]
    with pytest.raises(ValidationFailed):
        selectors.link_clicks_by_day(
            by=team.member(Role.OWNER), link=link, start=dt.date(2025, 4, 2), end=dt.date(2025, 4, 1)
        )
    with pytest.raises(ValidationFailed):
        selectors.link_clicks_by_day(
            by=team.member(Role.OWNER), link=link, start=dt.date(2024, 1, 1), end=dt.date(2025, 4, 1)
        )


def test_demo_links_come_with_a_month_of_clicks_once(team):
    owner = team.member(Role.OWNER)
    tg = channel(team.workspace)
    content_services.post_create(by=owner, text="Spring collection", channel_ids=[tg.pk])
    stored = services.demo_links_create(by=owner)
    links = list(ShortLink.objects.filter(workspace=team.workspace))
    assert len(links) == 3
    assert any(link.channel == tg and "utm_source=telegram" in link.final_url for link in links)
    assert stored == Click.objects.filter(workspace_id=team.workspace.pk).count() > 100
    bots = Click.objects.filter(is_bot=True).count()
    assert 0.05 < bots / stored < 0.25
    assert Click.objects.filter(at__gt=dt.datetime.now(dt.UTC)).count() == 0
    assert sum(h.humans + h.bots for h in LinkHourly.objects.all()) == stored
    assert services.demo_links_create(by=owner) == 0  # idempotent
    with pytest.raises(PermissionDenied):
        services.demo_links_create(by=team.member(Role.ANALYST))
