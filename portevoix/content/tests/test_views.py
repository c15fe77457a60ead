"""The composer's pages: list, new/edit with live validation and previews, detail with history, actions."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portevoix.content.models import Post
from portevoix.content.tests.conftest import next_paris_transitions
from portevoix.publishing.models import Attempt, AttemptOutcome, Target, TargetState
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def url(name: str, team, *args) -> str:
    return reverse(f"content:{name}", args=[team.workspace.slug, *args])


@pytest.fixture
def owner(team, client_for):
    return client_for(team.user(Role.OWNER))


def soon_local(days: int = 30) -> str:
    return (
        (timezone.now() + timedelta(days=days))
        .astimezone(ZoneInfo("Europe/Paris"))
        .strftime("%Y-%m-%dT10:00")
    )


def test_list_shows_posts_with_their_status_and_nav(owner, team, make_post, make_channel, other_team):
    channel = make_channel("telegram", name="Acme news")
    post = make_post("Our launch", scheduled_at=timezone.now() + timedelta(days=1), timezone="Europe/Paris")
    Target.objects.create(
        workspace=team.workspace, post=post, channel=channel, state=TargetState.SCHEDULED, idempotency_key="k"
    )
    make_post("not ours", workspace=other_team.workspace)
    response = owner.get(url("list", team))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Our launch" in html
    assert "not ours" not in html
    assert 'data-status="scheduled"' in html
    assert "Acme news" in html
    assert "Europe/Paris" in html
    assert f'href="{url("list", team)}"' in html  # the "Posts" section in the navigation
    assert (
        owner.get(url("list", team), {"status": "published"}).content.decode().count('data-testid="post-row"')
        == 0
    )
    assert owner.get(url("list", team), {"status": "nonsense", "q": "x" * 500}).status_code == 200


def test_composer_offers_active_channels_and_variant_tabs(owner, team, make_channel, other_team):
    make_channel("telegram", name="Acme Telegram")
    make_channel("bluesky", name="Acme Bluesky")
    make_channel("mastodon", name="Gone", status="disconnected")
    make_channel("telegram", name="Theirs", workspace=other_team.workspace)
    response = owner.get(url("new", team))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Telegram" in html
    assert "Acme Bluesky" in html
    assert "Gone" not in html
    assert "Theirs" not in html
    assert 'id="pv-tab-telegram"' in html
    assert 'id="pv-tab-bluesky"' in html
    assert 'hx-post="' + url("validate", team) + '"' in html
    assert "Europe/Paris" in html  # the schedule field names the workspace's zone


def test_live_validation_panel_counts_per_channel(owner, team, make_channel, make_asset):
    bluesky = make_channel("bluesky", name="Acme Bluesky")
    telegram = make_channel("telegram", name="Acme Telegram")
    asset = make_asset()
    data = {
        "text": "a" * 301 + " #launch https://portevoix.org",
        "channels": [bluesky.pk, telegram.pk],
        "media": [asset.pk],
        "variant_telegram": "",
        "variant_bluesky": "",
    }
    response = owner.post(url("validate", team), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="check"') == 2
    assert 'data-network="bluesky" data-valid="false"' in html
    assert 'data-code="too_long"' in html
    assert 'data-network="telegram" data-valid="true"' in html
    assert "/ 1024" in html  # a caption, with media attached
    assert 'class="pv-hl pv-hl-tag">#launch</span>' in html
    assert 'class="pv-cut"' in html  # where Bluesky's limit cuts
    assert reverse("media:thumbnail", args=[team.workspace.slug, asset.pk]) in html


def test_live_validation_uses_the_variant_and_survives_garbage(owner, team, make_channel, other_team):
    bluesky = make_channel("bluesky")
    theirs = make_channel("telegram", workspace=other_team.workspace)
    data = {"text": "a" * 400, "variant_bluesky": "short and sweet", "channels": [bluesky.pk, theirs.pk, "x"]}
    html = owner.post(url("validate", team), data).content.decode()
    assert html.count('data-testid="check"') == 1  # the foreign channel is ignored
    assert 'data-valid="true"' in html
    assert "short and sweet" in html
    for garbage in [
        {"text": "a" * 100_001, "channels": [bluesky.pk]},
        {"text": "hi", "link": "javascript:alert(1)", "channels": [bluesky.pk]},
        {},
    ]:
        response = owner.post(url("validate", team), garbage)
        assert response.status_code == 200, garbage
    # NUL bytes are refused before any view (core middleware).
    assert owner.post(url("validate", team), {"text": "nul\x00", "channels": [bluesky.pk]}).status_code == 400
    html = owner.post(
        url("validate", team), {"text": "a" * 100_001, "channels": [bluesky.pk]}
    ).content.decode()
    assert 'data-testid="live-errors"' in html


def test_save_draft_then_edit(owner, team, make_channel, make_asset):
    channel = make_channel("telegram")
    asset = make_asset()
    data = {
        "title": "Launch",
        "text": "Hello",
        "link": "https://portevoix.org",
        "channels": [channel.pk],
        "media": [asset.pk],
        "variant_telegram": "Hello Telegram",
        "action": "save",
    }
    response = owner.post(url("new", team), data)
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("edit", team, post.pk)
    assert (post.title, post.text, post.link) == ("Launch", "Hello", "https://portevoix.org")
    assert post.variants.get().text == "Hello Telegram"
    assert list(post.attachments.values_list("asset_id", flat=True)) == [asset.pk]
    assert Target.objects.get(post=post).channel == channel
    html = owner.get(url("edit", team, post.pk)).content.decode()
    assert "Hello Telegram" in html
    assert 'data-valid="true"' in html  # the panel is filled on the first render too
    response = owner.post(url("edit", team, post.pk), {**data, "text": "Hello again", "channels": []})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.text == "Hello again"
    assert not Target.objects.filter(post=post).exists()


def test_composer_errors_are_shown_not_500(owner, team, make_channel):
    channel = make_channel("telegram")
    for data in [
        {"text": "hi", "link": "ftp://nope", "action": "save"},
        {"text": "hi", "channels": ["999999"], "action": "save"},
        {"text": "hi", "media": ["abc"], "action": "save"},
        {"text": "hi", "action": "explode"},
    ]:
        response = owner.post(url("new", team), data)
        assert response.status_code == 422, data
    assert not Post.objects.exists()
    response = owner.post(url("new", team), {"text": "", "channels": [channel.pk], "action": "publish"})
    assert response.status_code == 302  # saved, then publishing was refused with a message
    post = Post.objects.get()
    assert response["Location"] == url("edit", team, post.pk)
    assert Target.objects.get(post=post).state == TargetState.DRAFT


def test_schedule_from_the_composer_in_the_workspace_zone(owner, team, make_channel):
    channel = make_channel("telegram")
    data = {"text": "Planned", "channels": [channel.pk], "action": "schedule", "schedule_at": soon_local()}
    response = owner.post(url("new", team), data, follow=True)
    post = Post.objects.get()
    assert response.redirect_chain[-1][0] == url("detail", team, post.pk)
    assert "Scheduled for" in response.content.decode()
    assert post.timezone == "Europe/Paris"
    assert Target.objects.get(post=post).state == TargetState.SCHEDULED


def test_schedule_in_a_dst_gap_and_overlap_from_the_page(owner, team, make_channel, make_post):
    channel = make_channel("telegram")
    post = make_post("Planned")
    Target.objects.create(workspace=team.workspace, post=post, channel=channel, idempotency_key="gap")
    spring, autumn = next_paris_transitions(timezone.now())
    response = owner.post(url("schedule", team, post.pk), {"schedule_at": f"{spring}T02:30"}, follow=True)
    assert "does not exist in Europe/Paris" in response.content.decode()
    assert Target.objects.get(post=post).state == TargetState.DRAFT
    response = owner.post(url("schedule", team, post.pk), {"schedule_at": f"{autumn}T02:30"}, follow=True)
    html = response.content.decode()
    assert "happens twice" in html
    assert "first occurrence" in html
    assert Target.objects.get(post=post).state == TargetState.SCHEDULED


def test_detail_shows_the_history_per_target(owner, team, make_channel, make_post):
    channel = make_channel("telegram", name="Acme news")
    post = make_post("Sent")
    target = Target.objects.create(
        workspace=team.workspace,
        post=post,
        channel=channel,
        state=TargetState.PUBLISHED,
        idempotency_key="sent",
        remote_url="https://t.me/acme/42",
        attempt_count=1,
    )
    now = timezone.now()
    Attempt.objects.create(
        target=target, number=1, fence=1, started_at=now, finished_at=now, outcome=AttemptOutcome.PUBLISHED
    )
    response = owner.get(url("detail", team, post.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "https://t.me/acme/42" in html
    assert 'data-state="published"' in html
    assert "1 attempt" in html
    response = owner.post(url("delete", team, post.pk), follow=True)
    assert Post.objects.filter(pk=post.pk).exists()  # sent: it stays with its history
    assert "stays" in response.content.decode()


def test_publish_unschedule_and_delete_from_the_page(owner, team, make_channel, make_post):
    channel = make_channel("telegram")
    post = make_post("Now")
    Target.objects.create(workspace=team.workspace, post=post, channel=channel, idempotency_key="now")
    owner.post(url("publish", team, post.pk))
    assert Target.objects.get(post=post).state == TargetState.SCHEDULED
    owner.post(url("unschedule", team, post.pk))
    assert Target.objects.get(post=post).state == TargetState.CANCELLED
    response = owner.post(url("delete", team, post.pk))
    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()


def test_roles_on_the_pages(team, client_for, make_post):
    post = make_post("Hi")
    client = client_for(team.user(Role.CLIENT))
    assert client.get(url("list", team)).status_code == 200
    assert client.get(url("detail", team, post.pk)).status_code == 200
    assert client.get(url("new", team)).status_code == 403
    copywriter = client_for(team.user(Role.COPYWRITER))
    assert copywriter.get(url("edit", team, post.pk)).status_code == 200
    assert copywriter.post(url("publish", team, post.pk)).status_code == 403
    assert 'data-testid="publish"' not in copywriter.get(url("new", team)).content.decode()


def test_foreign_posts_are_404_on_pages(owner, other_team, make_post, team):
    foreign = make_post("theirs", workspace=other_team.workspace)
    for name, method in [("detail", "get"), ("edit", "get"), ("delete", "post"), ("publish", "post")]:
        assert getattr(owner, method)(url(name, team, foreign.pk)).status_code == 404, name
    assert Post.objects.filter(pk=foreign.pk).exists()


def test_upload_from_the_composer_answers_the_picker(owner, team, make_asset):
    existing = make_asset()
    bad = SimpleUploadedFile("notes.txt", b"just text", content_type="image/png")
    response = owner.post(url("upload", team), {"files": [bad], "media": [existing.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pv-media-picker"' in html
    assert f'value="{existing.pk}" checked' in html
    assert 'class="errorlist"' in html
    assert response["HX-Trigger-After-Swap"] == "pv-media-changed"
