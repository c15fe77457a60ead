"""The tracker page: the snippet, the key shown once, the last events, the table; managing needs
analytics.manage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from portevoix.analytics.models import Site
from portevoix.analytics.sessions import Sessions
from portevoix.workspaces.roles import Role

from .conftest import hit

pytestmark = pytest.mark.django_db


def url(team, name="page", *args):
    return reverse(f"analytics:{name}", args=[team.workspace.slug, *args])


def test_adding_a_site_shows_its_key_once_and_the_snippet(team, client_for):
    client = client_for(team.user(Role.ANALYST))
    answer = client.post(url(team, "site_create"), {"name": "Shop", "domains": "shop.example"})
    assert answer.status_code == 200
    site = Site.objects.get()
    page = answer.content.decode()
    assert 'data-testid="new-site-secret"' in page
    assert "pvs_" in page
    assert f"data-site=&quot;{site.public_key}&quot;" in page
    again = client.get(url(team)).content.decode()
    assert "pvs_" not in again  # shown once
    assert f"data-site=&quot;{site.public_key}&quot;" in again
    assert 'data-testid="no-events"' in again


def test_last_events_and_the_table(team, site, client_for):
    now = dt.datetime.now(dt.UTC).timestamp()
    Sessions().store(
        [hit(site, at=now - 30, path="/spring", utm=(("source", "telegram"), ("medium", "social")))]
    )
    page = client_for(team.user(Role.COPYWRITER)).get(url(team)).content.decode()
    assert 'data-testid="recent-visit"' in page
    assert "/spring" in page
    assert "Telegram" in page
    assert "100.0 %" in page  # one bounced visit
    assert "site_create" not in page
    assert 'action="/w/' not in page  # a copywriter sees no management form


def test_bad_domains_are_refused(team, client_for):
    answer = client_for(team.user(Role.OWNER)).post(
        url(team, "site_create"), {"name": "X", "domains": "http://a/b"}
    )
    assert answer.status_code == 422
    assert not Site.objects.exists()


def test_the_client_role_cannot_see_the_page(team, client_for):
    assert client_for(team.user(Role.CLIENT)).get(url(team)).status_code == 403
