"""Posts of a workspace that shortens its posts' links leave with tagged short links (the engine's text
transform, publishing/outgoing.py), sent once per address and reused on a retry."""

from __future__ import annotations

import pytest

from portevoix.links.models import LinkSettings, ShortLink
from portevoix.publishing.engine import execute
from portevoix.publishing.models import TargetState
from portevoix.publishing.tests.conftest import claim_one

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_engine_settings")]


def publish(target):
    fence = claim_one(target, "w1")
    execute(target.pk, fence, "w1")
    target.refresh_from_db()
    return target


def test_links_are_shortened_when_the_workspace_asks(network, make_target, make_post, settings):
    settings.PORTEVOIX_BASE_URL = "https://pv.example"
    post = make_post("New prints: https://shop.example/prints?colour=blue")
    target = make_target(post=post)
    LinkSettings.objects.create(workspace_id=target.workspace_id, shorten_in_posts=True)
    target = publish(target)
    assert target.state == TargetState.PUBLISHED
    link = ShortLink.objects.get(post=post, channel=target.channel)
    assert network.sent[0].text == f"New prints: https://pv.example/l/{link.code}"
    assert link.target_url == "https://shop.example/prints?colour=blue"
    assert "utm_medium=social" in link.final_url
    assert f"utm_content={post.pk}" in link.final_url


def test_links_stay_as_written_by_default(network, make_target, make_post, settings):
    settings.PORTEVOIX_BASE_URL = "https://pv.example"
    publish(make_target(post=make_post("Read https://blog.example/a")))
    assert network.sent[0].text == "Read https://blog.example/a"
    assert not ShortLink.objects.exists()


def test_a_failing_transform_sends_the_text_unchanged(network, make_target, make_post, settings, monkeypatch):
    from portevoix.links import services

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "shorten_text", broken)
    settings.PORTEVOIX_BASE_URL = "https://pv.example"
    post = make_post("Read https://blog.example/a")
    target = make_target(post=post)
    LinkSettings.objects.create(workspace_id=target.workspace_id, shorten_in_posts=True)
    target = publish(target)
    assert target.state == TargetState.PUBLISHED
    assert network.sent[0].text == "Read https://blog.example/a"
