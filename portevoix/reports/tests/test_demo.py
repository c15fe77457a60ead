"""The demo results of ``portevoix demo``: meaningful, deterministic, idempotent and quick."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.utils import translation

from portevoix.analytics.models import Conversion, Visit
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content.models import Post
from portevoix.integrations.models import TrafficDaily
from portevoix.links.models import Click
from portevoix.metrics.models import FollowerDaily, PostMetricSnapshot
from portevoix.reports.data import report_build
from portevoix.reports.demo import seed_results
from portevoix.reports.models import ReportBranding
from portevoix.workspaces.models import Workspace
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db(transaction=False)


def counts(workspace) -> dict[str, int]:
    return {
        "channels": Channel.objects.filter(workspace=workspace).count(),
        "posts": Post.objects.filter(workspace=workspace).count(),
        "snapshots": PostMetricSnapshot.objects.filter(workspace=workspace).count(),
        "followers": FollowerDaily.objects.filter(workspace=workspace).count(),
        "clicks": Click.objects.filter(workspace_id=workspace.pk).count(),
        "visits": Visit.objects.filter(workspace=workspace).count(),
        "conversions": Conversion.objects.filter(workspace=workspace).count(),
        "traffic": TrafficDaily.objects.filter(workspace=workspace).count(),
    }


def test_demo_command_adds_results_once(capsys):
    started = time.monotonic()
    call_command("demo")
    elapsed = time.monotonic() - started
    workspace = Workspace.objects.get(name__startswith="Demo: ")
    first = counts(workspace)
    assert first["channels"] == 4
    channels = list(Channel.objects.filter(workspace=workspace))
    assert {c.network for c in channels} == {"telegram", "vk", "mastodon", "bluesky"}
    assert all(c.status == ChannelStatus.DISCONNECTED for c in channels)
    assert all(c.name.startswith("Demo · ") for c in channels)
    assert first["posts"] > 50
    posts = list(Post.objects.filter(workspace=workspace))
    assert all(p.title.startswith("[Demo] ") for p in posts)
    assert all(p.rubric_id for p in posts)
    assert first["followers"] == 4 * 91
    assert first["snapshots"] > 100
    assert first["clicks"] > 100
    assert Click.objects.filter(workspace_id=workspace.pk, is_bot=True).exists()
    assert first["visits"] > 100
    assert Visit.objects.filter(workspace=workspace, bounced=True).exists()
    assert Conversion.objects.filter(workspace=workspace, revenue__isnull=False, post__isnull=False).exists()
    assert first["traffic"] > 100
    assert ReportBranding.objects.get(workspace=workspace).logo_type == "image/png"
    assert elapsed < 30  # a few seconds on a developer's machine; generous for a loaded CI

    call_command("demo")
    assert counts(workspace) == first  # idempotent
    assert "already complete" in capsys.readouterr().out

    # The report of the last 30 days means something.
    today = dt.datetime.now(workspace.tzinfo).date()
    with translation.override("en"):
        report = report_build(workspace, today - dt.timedelta(days=29), today)
    kpi = {figure.key: figure.value for figure in report.kpis}
    assert kpi["followers"] > 9000
    assert kpi["follower_growth"] > 0
    for key in ("views", "engagements", "err", "er"):
        assert kpi[key], key
    assert kpi["clicks"] > 0
    assert report.site_source == "tracker"
    assert kpi["visits"] > 0
    assert kpi["conversions"] > 0
    assert 20 < kpi["bounce_rate"] < 70


def test_demo_figures_are_deterministic(team, make_team):
    other = make_team("Bis")
    day = dt.date(2026, 5, 1)
    a = seed_results(team.member(Role.OWNER), today=day)
    b = seed_results(other.member(Role.OWNER), today=day)
    assert a == b
    likes = [
        list(PostMetricSnapshot.objects.filter(workspace=w).order_by("pk").values_list("likes", "views"))
        for w in (team.workspace, other.workspace)
    ]
    assert likes[0] == likes[1]
    assert seed_results(team.member(Role.OWNER), today=day) == {}
