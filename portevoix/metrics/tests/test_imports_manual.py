"""Manual entry and the CSV import: dry runs write nothing, problems per row, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portevoix.core.errors import PermissionDenied, ValidationFailed
from portevoix.metrics import services
from portevoix.metrics.models import (
    FollowerDaily,
    FollowerSnapshot,
    PostMetricLatest,
    PostMetricSnapshot,
    Source,
)
from portevoix.metrics.services.imports import FileTooLarge
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def today(team) -> dt.date:
    return timezone.localtime(timezone.now(), team.workspace.tzinfo).date()


def test_manual_entry_stores_given_figures_only(team, make_channel, make_published):
    target = make_published(make_channel())
    analyst = team.member(Role.ANALYST)
    day = today(team) - dt.timedelta(days=1)
    services.post_metrics_enter(by=analyst, target=target, day=day, values={"views": 300, "likes": 0})
    snap = PostMetricSnapshot.objects.get(target=target)
    assert (snap.views, snap.likes, snap.reach, snap.source) == (300, 0, None, Source.MANUAL)
    assert timezone.localtime(snap.collected_at, team.workspace.tzinfo).date() == day
    assert PostMetricLatest.objects.get(target=target).views == 300
    assert AuditEvent.objects.filter(action="metrics.enter").count() == 1

    with pytest.raises(ValidationFailed, match="at least one figure"):
        services.post_metrics_enter(by=analyst, target=target, day=day, values={})
    with pytest.raises(ValidationFailed, match="whole number"):
        services.post_metrics_enter(by=analyst, target=target, day=day, values={"likes": -1})
    with pytest.raises(ValidationFailed, match="future"):
        services.post_metrics_enter(
            by=analyst, target=target, day=today(team) + dt.timedelta(days=2), values={"likes": 1}
        )
    with pytest.raises(PermissionDenied):
        services.post_metrics_enter(
            by=team.member(Role.COPYWRITER), target=target, day=day, values={"likes": 1}
        )


def test_manual_followers(team, other_team, make_channel):
    channel = make_channel()
    services.followers_enter(by=team.member(Role.OWNER), channel=channel, day=today(team), followers=512)
    assert FollowerDaily.objects.get(channel=channel, day=today(team)).followers == 512
    foreign = make_channel(workspace=other_team.workspace)
    with pytest.raises(ValidationFailed):
        services.followers_enter(by=team.member(Role.OWNER), channel=foreign, day=today(team), followers=1)


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_dry_run_checks_everything_and_writes_nothing(team, make_channel, make_published):
    channel = make_channel(name="VK page")
    target = make_published(channel, remote_url="https://vk.example/wall-1_5")
    owner = team.member(Role.OWNER)
    day = (today(team) - dt.timedelta(days=3)).isoformat()
    day2 = (today(team) - dt.timedelta(days=2)).isoformat()
    data = csv_bytes(
        "date,channel,post,views,reach,likes,comments,shares,saves,followers",
        f"{day},VK page,{target.post_id},1000,,30,4,2,,",
        f"{day2},{channel.pk},https://vk.example/wall-1_5/,,800,,,,,",  # the address, trailing slash
        f"{day},vk page,,,,,,,,2500",
    )
    report = services.metrics_import(by=owner, data=data, dry_run=True)
    assert report.ok
    assert not report.written
    assert (report.total_rows, report.post_rows, report.follower_rows) == (3, 2, 1)
    assert not PostMetricSnapshot.objects.exists()
    assert not FollowerSnapshot.objects.exists()


def test_duplicate_rows_and_row_problems_are_listed(team, other_team, make_channel, make_published):
    channel = make_channel(name="Mastodon")
    make_channel(name="Twin")
    make_channel(name="Twin")
    target = make_published(channel)
    unpublished = make_published(channel, state="failed")
    foreign = make_published(make_channel(workspace=other_team.workspace))
    owner = team.member(Role.OWNER)
    day = (today(team) - dt.timedelta(days=1)).isoformat()
    future = (today(team) + dt.timedelta(days=3)).isoformat()
    data = csv_bytes(
        "date,channel,post,views,likes,followers",
        f"{day},Mastodon,{target.post_id},10,1,",  # row 2: fine
        f"{day},Mastodon,{target.post_id},11,1,",  # row 3: duplicate of row 2
        f"31/12/2025,Mastodon,{target.post_id},1,1,",  # row 4: date format
        f"{future},Mastodon,{target.post_id},1,1,",  # row 5: future
        f"{day},Nope,{target.post_id},1,1,",  # row 6: unknown channel
        f"{day},Twin,,,,5",  # row 7: ambiguous name
        f"{day},Mastodon,{unpublished.post_id},1,,",  # row 8: not published
        f"{day},Mastodon,{foreign.post_id},1,,",  # row 9: another workspace's post
        f"{day},Mastodon,{target.post_id},=1+2,,",  # row 10: a formula is not a number
        f"{day},Mastodon,{target.post_id},-5,,",  # row 11: negative
        f"{day},Mastodon,,,,",  # row 12: nothing to import
        f"{day},Mastodon,javascript:alert(1),1,,",  # row 13: not an id nor an address
    )
    report = services.metrics_import(by=owner, data=data, dry_run=False)
    assert not report.written
    assert not report.ok
    problems = {(p.row, p.column) for p in report.problems}
    assert problems == {
        (3, "post"),
        (4, "date"),
        (5, "date"),
        (6, "channel"),
        (7, "channel"),
        (8, "post"),
        (9, "post"),
        (10, "views"),
        (11, "views"),
        (12, "followers"),
        (13, "post"),
    }
    assert not PostMetricSnapshot.objects.exists()  # all or nothing


def test_confirmed_import_writes_everything(team, make_channel, make_published):
    channel = make_channel(name="VK")
    target = make_published(channel)
    owner = team.member(Role.OWNER)
    day = today(team) - dt.timedelta(days=2)
    data = csv_bytes(
        "date;channel;post;views;likes;comments;shares;followers",  # semicolons, as a French Excel saves
        f"{day};VK;{target.post_id};1 200;'=5;3;;900",  # a thin space separator; a protected cell
    )
    report = services.metrics_import(by=owner, data=data, dry_run=False)
    assert report.problem_count == 1  # "'=5" is read as "=5": not a number
    data = csv_bytes(
        "date;channel;post;views;likes;comments;shares;followers",
        f"{day};VK;{target.post_id};1\u202f200;5;3;;900",
    )
    report = services.metrics_import(by=owner, data=data, dry_run=False)
    assert report.written, report.problems
    snap = PostMetricSnapshot.objects.get(target=target)
    assert (snap.views, snap.likes, snap.comments, snap.shares, snap.source) == (1200, 5, 3, None, Source.CSV)
    assert FollowerDaily.objects.get(channel=channel).day == day
    assert AuditEvent.objects.filter(action="metrics.import").count() == 1


def test_encodings_and_limits(team, make_channel, make_published):
    channel = make_channel(name="Télégramme")
    owner = team.member(Role.OWNER)
    day = (today(team) - dt.timedelta(days=1)).isoformat()
    utf16 = csv_bytes("date,channel,followers", f"{day},Télégramme,10", encoding="utf-16")
    assert services.metrics_import(by=owner, data=utf16, dry_run=True).ok
    latin1 = csv_bytes("date,channel,followers", f"{day},Télégramme,10", encoding="latin-1")
    report = services.metrics_import(by=owner, data=latin1, dry_run=True)
    assert report.problems[0].row == 0
    assert "UTF-8" in report.problems[0].message
    assert "file is empty" in services.metrics_import(by=owner, data=b"", dry_run=True).problems[0].message
    bad_header = services.metrics_import(by=owner, data=csv_bytes("when,channel"), dry_run=True)
    assert {(p.column) for p in bad_header.problems} == {"when", "date"}
    many = csv_bytes(
        "date,channel,followers", *[f"{day},{channel.pk},{n}" for n in range(services.MAX_ROWS + 1)]
    )
    assert (
        "more than 5000 rows"
        in services.metrics_import(by=owner, data=many, dry_run=True).problems[0].message
    )
    with pytest.raises(FileTooLarge):
        services.metrics_import(by=owner, data=b"x" * (services.MAX_BYTES + 1), dry_run=True)
    unclosed = services.metrics_import(
        by=owner, data=b'date,channel,followers\r\n"2026-01-01,x,1\r\n', dry_run=True
    )
    assert unclosed.problem_count >= 1
    with pytest.raises(PermissionDenied):
        services.metrics_import(by=team.member(Role.DESIGNER), data=utf16, dry_run=True)


def test_stash_and_confirm(team, other_team, make_channel):
    channel = make_channel(name="C")
    owner = team.member(Role.OWNER)
    day = (today(team) - dt.timedelta(days=1)).isoformat()
    data = csv_bytes("date,channel,followers", f"{day},C,321")
    token = services.import_stash(by=owner, data=data)
    manager = team.member(Role.MANAGER)
    with pytest.raises(ValidationFailed, match="expired"):
        services.import_confirm(by=manager, token=token)  # another person's file
    with pytest.raises(ValidationFailed, match="expired"):
        services.import_confirm(by=owner, token=token + "x")
    report = services.import_confirm(by=owner, token=token)
    assert report.written
    assert FollowerDaily.objects.get(channel=channel).followers == 321
