"""Rubrics: create, change, reorder, archive; the sum of targets; the page with the mix of a period; the
API; posts get a rubric and the evergreen flag (composer, services, API)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portevoix.content import services as content_services
from portevoix.content.models import Post
from portevoix.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portevoix.planning.models import Rubric
from portevoix.planning.services import rubrics as services
from portevoix.planning.tests.queue_helpers import api, telegram, token_client
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def test_create_validates(team):
    owner = team.member(Role.OWNER)
    rubric = services.rubric_create(by=owner, name=" Tips ", colour="#AABBCC", target_share=40)
    assert (rubric.name, rubric.colour, rubric.target_share, rubric.position) == ("Tips", "#aabbcc", 40, 0)
    assert AuditEvent.objects.filter(action="rubric.create").exists()
    for kwargs, field in (
        ({"name": ""}, "name"),
        ({"name": "tips"}, "name"),  # taken (case-insensitive)
        ({"name": "x" * 81}, "name"),
        ({"name": "A", "colour": "red"}, "colour"),
        ({"name": "A", "colour": "#12345g"}, "colour"),
        ({"name": "A", "target_share": 101}, "target_share"),
        ({"name": "A", "target_share": -1}, "target_share"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            services.rubric_create(by=owner, **kwargs)
        assert field in caught.value.fields


def test_targets_of_active_rubrics_add_up_to_100_at_most(team):
    owner = team.member(Role.OWNER)
    services.rubric_create(by=owner, name="A", target_share=60)
    b = services.rubric_create(by=owner, name="B", target_share=40)
    with pytest.raises(ValidationFailed) as caught:
        services.rubric_create(by=owner, name="C", target_share=1)
    assert "101%" in caught.value.fields["target_share"][0]
    assert "0%" in caught.value.fields["target_share"][0]
    services.rubric_create(by=owner, name="No target")  # no target: fine
    services.rubric_update(by=owner, rubric=b, archived=True)  # archived: out of the sum
    c = services.rubric_create(by=owner, name="C", target_share=40)
    with pytest.raises(ValidationFailed):  # unarchiving B would make 140
        services.rubric_update(by=owner, rubric=b, archived=False)
    services.rubric_update(by=owner, rubric=c, target_share=None)
    services.rubric_update(by=owner, rubric=b, archived=False)
    assert not Rubric.objects.get(pk=b.pk).archived


def test_reorder_archive_delete(team, other_team):
    owner = team.member(Role.OWNER)
    a, b, c = (services.rubric_create(by=owner, name=name) for name in "ABC")
    services.rubric_move(by=owner, rubric=c, position=0)
    assert list(Rubric.objects.filter(workspace=team.workspace).values_list("name", flat=True)) == [
        "C",
        "A",
        "B",
    ]
    services.rubric_update(by=owner, rubric=a, position=5)
    assert list(Rubric.objects.filter(workspace=team.workspace).values_list("name", flat=True)) == [
        "C",
        "B",
        "A",
    ]
    post = content_services.post_create(by=owner, text="Tip", rubric_id=a.pk)
    services.rubric_update(by=owner, rubric=a, archived=True)
    post.refresh_from_db()
    assert post.rubric_id == a.pk  # archived rubrics keep their posts
    with pytest.raises(Conflict):
        services.rubric_delete(by=owner, rubric=a)
    services.rubric_delete(by=owner, rubric=b)
    assert not Rubric.objects.filter(pk=b.pk).exists()
    with pytest.raises(PermissionDenied):
        services.rubric_create(by=team.member(Role.COPYWRITER), name="Nope")
    with pytest.raises(NotFound):
        services.rubric_update(by=other_team.member(Role.OWNER), rubric=c, name="Theirs")


def test_posts_take_a_rubric_and_the_evergreen_flag(team, other_team):
    owner = team.member(Role.OWNER)
    rubric = services.rubric_create(by=owner, name="Tips")
    post = content_services.post_create(by=owner, text="x", rubric_id=rubric.pk, evergreen=True)
    assert (post.rubric_id, post.evergreen) == (rubric.pk, True)
    foreign = services.rubric_create(by=other_team.member(Role.OWNER), name="Theirs")
    with pytest.raises(ValidationFailed):
        content_services.post_create(by=owner, text="x", rubric_id=foreign.pk)
    with pytest.raises(ValidationFailed):
        content_services.post_update(by=owner, post=post, evergreen="yes")
    services.rubric_update(by=owner, rubric=rubric, archived=True)
    content_services.post_update(by=owner, post=post, rubric_id=rubric.pk)  # keeps its archived rubric
    with pytest.raises(ValidationFailed):  # but a new post may not take it
        content_services.post_create(by=owner, text="y", rubric_id=rubric.pk)
    content_services.post_update(by=owner, post=post, rubric_id=None, evergreen=False)
    post.refresh_from_db()
    assert (post.rubric_id, post.evergreen) == (None, False)


def test_composer_sets_rubric_and_evergreen(team, client_for):
    owner = team.member(Role.OWNER)
    rubric = services.rubric_create(by=owner, name="Behind the scenes")
    client = client_for(owner.user)
    url = reverse("content:new", args=[team.workspace.slug])
    page = client.get(url)
    assert b"Behind the scenes" in page.content
    assert b'name="evergreen"' in page.content
    response = client.post(url, {"text": "Hi", "rubric": str(rubric.pk), "evergreen": "on", "action": "save"})
    assert response.status_code == 302
    post = Post.objects.get(text="Hi")
    assert (post.rubric_id, post.evergreen) == (rubric.pk, True)
    edit = client.get(reverse("content:edit", args=[team.workspace.slug, post.pk]))
    assert f'value="{rubric.pk}" selected'.encode() in edit.content


def test_api(team, other_team):
    owner = team.member(Role.OWNER)
    client = token_client(owner)
    created = api(
        client, "POST", "/api/v1/rubrics", {"name": "Tips", "colour": "#123456", "target_share": 30}
    )
    assert created.status_code == 201, created.content
    rubric_id = created.json()["id"]
    assert api(client, "POST", "/api/v1/rubrics", {"name": "Over", "target_share": 71}).status_code == 422
    assert api(client, "POST", "/api/v1/rubrics", {"name": "Bad", "colour": "#12"}).status_code == 422
    changed = api(client, "PATCH", f"/api/v1/rubrics/{rubric_id}", {"target_share": None, "archived": True})
    assert changed.json()["target_share"] is None
    assert changed.json()["archived"] is True
    assert api(client, "GET", "/api/v1/rubrics").json()["items"] == []
    assert len(api(client, "GET", "/api/v1/rubrics?archived=true").json()["items"]) == 1
    post = api(client, "POST", "/api/v1/posts", {"text": "x", "evergreen": True}).json()
    assert post["evergreen"] is True
    assert post["rubric_id"] is None
    foreign = services.rubric_create(by=other_team.member(Role.OWNER), name="Theirs")
    assert api(client, "GET", f"/api/v1/rubrics/{foreign.pk}").status_code == 404
    assert api(client, "PATCH", f"/api/v1/rubrics/{foreign.pk}", {"name": "Mine"}).status_code == 404
    assert api(client, "DELETE", f"/api/v1/rubrics/{rubric_id}").status_code == 204
    analyst = token_client(team.member(Role.ANALYST))
    assert api(analyst, "GET", "/api/v1/rubrics").status_code == 200
    assert api(analyst, "POST", "/api/v1/rubrics", {"name": "No"}).status_code == 403


def test_page_shows_actual_vs_target_for_the_period(team, client_for):
    owner = team.member(Role.OWNER)
    tips = services.rubric_create(by=owner, name="Tips", target_share=50)
    services.rubric_create(by=owner, name="News", target_share=30)
    channel = telegram(team.workspace)
    soon = timezone.now() + timedelta(hours=1)
    for n in range(3):
        post = content_services.post_create(
            by=owner, text=f"t{n}", channel_ids=[channel.pk], rubric_id=tips.pk
        )
        Post.objects.filter(pk=post.pk).update(scheduled_at=soon)
    post = content_services.post_create(by=owner, text="none", channel_ids=[channel.pk])
    Post.objects.filter(pk=post.pk).update(scheduled_at=soon)
    client = client_for(team.user(Role.CLIENT))
    slug = team.workspace.slug
    day = soon.astimezone(team.workspace.tzinfo).date()
    page = client.get(
        reverse("planning:rubrics", args=[slug]), {"start": day.isoformat(), "end": day.isoformat()}
    )
    assert page.status_code == 200
    shares = {s.name: (s.count, s.actual_share, s.gap) for s in page.context["mix"]}
    assert shares["Tips"] == (3, 75.0, 25.0)
    assert shares["News"] == (0, 0.0, -30.0)
    assert shares["No rubric"][0] == 1
    assert b"75.0%" in page.content
    # An empty period, and a bad one (falls back to the month, says so).
    empty = client.get(reverse("planning:rubrics", args=[slug]), {"start": "2020-01-01", "end": "2020-01-31"})
    assert all(s.count == 0 for s in empty.context["mix"])
    bad = client.get(reverse("planning:rubrics", args=[slug]), {"start": "2020-02-01", "end": "2020-01-01"})
    assert bad.status_code == 200
    assert b"rubric-new" not in bad.content  # a client cannot manage


def test_management_pages(team, client_for):
    owner = team.member(Role.OWNER)
    client = client_for(owner.user)
    slug = team.workspace.slug
    client.post(
        reverse("planning:rubric_create", args=[slug]),
        {"name": "Tips", "colour": "#ff0000", "target_share": "20"},
    )
    client.post(
        reverse("planning:rubric_create", args=[slug]),
        {"name": "News", "colour": "#00ff00", "target_share": "90"},
    )
    assert list(Rubric.objects.values_list("name", flat=True)) == ["Tips"]  # 110% refused
    rubric = Rubric.objects.get()
    edit = reverse("planning:rubric_edit", args=[slug, rubric.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"name": "Tips", "colour": "nope", "target_share": ""})
    assert response.status_code == 422
    client.post(edit, {"name": "Tips & tricks", "colour": "#0000ff", "target_share": ""})
    rubric.refresh_from_db()
    assert (rubric.name, rubric.colour, rubric.target_share) == ("Tips & tricks", "#0000ff", None)
    client.post(reverse("planning:rubric_archive", args=[slug, rubric.pk]), {"archived": "1"})
    rubric.refresh_from_db()
    assert rubric.archived
    client.post(reverse("planning:rubric_delete", args=[slug, rubric.pk]))
    assert not Rubric.objects.exists()
