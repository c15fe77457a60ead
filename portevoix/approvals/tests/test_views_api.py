"""The approval pages, the client's review page (forged, expired, replaced, used links: clear pages, never a
500, nothing of other posts), and the API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portevoix.approvals import services
from portevoix.approvals.models import ClientLink, Comment
from portevoix.approvals.services import StepIn
from portevoix.approvals.tests.helpers import make_post, review_tokens, review_url_from_mail, set_policy
from portevoix.content.models import ApprovalState
from portevoix.publishing.models import Target, TargetState
from portevoix.teamtasks.models import Notice
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_step(team, django_capture_on_commit_callbacks):
    """A post awaiting the client's decision, with the link e-mailed; returns (post, token)."""
    set_policy(team, "required", [StepIn(by_client=True, client_email="client@example.com")])
    post = make_post(team, text="Spring sale #deals https://example.com")
    other = make_post(team, text="A secret other post")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    return post, review_tokens()[-1], other


def test_review_page_shows_the_post_and_nothing_else(client_step):
    _post, token, _other = client_step
    url = review_url_from_mail()
    assert url.endswith(reverse("approvals:review", args=[token]))
    response = Client().get(reverse("approvals:review", args=[token]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Spring sale" in html
    assert "Acme on Telegram" in html
    assert "A secret other post" not in html
    assert "/w/" not in html  # no link into the internal app
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]


def test_client_approves_through_the_page_with_csrf(client_step):
    post, token, _other = client_step
    browser = Client(enforce_csrf_checks=True)
    url = reverse("approvals:review", args=[token])
    assert browser.post(url, {"decision": "approve", "name": "Clara"}).status_code == 403  # no CSRF token
    browser.get(url)
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(url, {"decision": "approve", "name": "Clara", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 200
    assert b'data-testid="review-done"' in response.content
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.APPROVED
    again = Client().get(url)
    assert again.status_code == 410
    assert b'data-reason="decided"' in again.content


def test_client_requests_changes_and_comments(client_step, team):
    post, token, _other = client_step
    url = reverse("approvals:review", args=[token])
    browser = Client()
    designer = team.user(Role.DESIGNER)
    response = browser.post(url, {"action": "comment", "name": "Clara", "body": f"Nice! @{designer.email}"})
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.author_id, comment.author_name) == (None, "Clara")
    assert Notice.objects.filter(user=designer, kind="mention").exists()
    assert "Nice!" in browser.get(url).content.decode()
    missing_note = browser.post(url, {"decision": "changes", "name": "Clara", "note": ""})
    assert missing_note.status_code == 422
    done = browser.post(url, {"decision": "changes", "name": "Clara", "note": "Another photo"})
    assert done.status_code == 200
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.CHANGES_REQUESTED


@pytest.mark.parametrize("token", ["nope", "A" * 43, "x" * 300])
def test_forged_links_answer_404(client_step, token):
    response = Client().get(f"/review/{token}/")
    assert response.status_code == 404
    assert b"review-invalid" in response.content
    assert b"Spring sale" not in response.content
    assert Client().post(f"/review/{token}/", {"decision": "approve", "name": "X"}).status_code == 404


@pytest.mark.parametrize("path", ["/review/%00/", "/review/..%2f..%2fetc/", "/review/a/b/"])
def test_hostile_review_addresses_are_refused(client_step, path):
    response = Client().get(path)
    assert response.status_code in {400, 404}
    assert b"Spring sale" not in response.content


def test_expired_and_replaced_links_answer_410(client_step, team):
    post, token, _other = client_step
    ClientLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = Client().get(f"/review/{token}/")
    assert (expired.status_code, b'data-reason="expired"' in expired.content) == (410, True)
    assert Client().post(f"/review/{token}/", {"decision": "approve", "name": "X"}).status_code == 410
    ClientLink.objects.update(expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now())
    replaced = Client().get(f"/review/{token}/")
    assert (replaced.status_code, b'data-reason="revoked"' in replaced.content) == (410, True)
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.PENDING


def test_too_many_forged_links_are_throttled(client_step, settings):
    from django.core.cache import cache

    cache.clear()
    _post, token, _other = client_step
    browser = Client()
    for _ in range(30):
        browser.get("/review/forged-token/")
    assert browser.get("/review/forged-token/").status_code == 429
    assert browser.get(f"/review/{token}/").status_code == 429
    cache.clear()


def test_review_media_only_of_the_links_post(client_step):
    _post, token, _other = client_step
    assert Client().get(f"/review/{token}/media/999999/").status_code == 404
    assert Client().get("/review/forged/media/1/").status_code == 404


def test_post_page_panel_and_actions(team, client_for, django_capture_on_commit_callbacks):
    set_policy(team, "required")
    post = make_post(team)
    slug = team.workspace.slug
    writer = client_for(team.user(Role.COPYWRITER))
    page = writer.get(reverse("content:detail", args=[slug, post.pk]))
    assert b'data-testid="approval-panel"' in page.content
    assert b'data-testid="submit-approval"' in page.content
    assert writer.post(reverse("approvals:submit", args=[slug, post.pk])).status_code == 302
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.PENDING
    manager = client_for(team.user(Role.MANAGER))
    assert b'data-testid="approve"' in manager.get(reverse("content:detail", args=[slug, post.pk])).content
    pending = manager.get(reverse("approvals:pending", args=[slug]))
    assert pending.status_code == 200
    assert b'data-testid="awaiting-row"' in pending.content
    # A copywriter may not decide a step for owners and managers: the panel says nothing, the action refuses.
    writer.post(reverse("approvals:decide", args=[slug, post.pk]), {"decision": "approve"})
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.PENDING
    manager.post(reverse("approvals:comment", args=[slug, post.pk]), {"body": "Looks fine"})
    manager.post(reverse("approvals:decide", args=[slug, post.pk]), {"decision": "approve", "note": "OK"})
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.APPROVED
    page = writer.get(reverse("content:detail", args=[slug, post.pk]))
    assert b"Looks fine" in page.content
    assert b'data-state="approved"' in page.content


def test_settings_page_edits_the_policy(team, client_for):
    slug = team.workspace.slug
    owner = client_for(team.user(Role.OWNER))
    url = reverse("approvals:settings", args=[slug])
    assert owner.get(url).status_code == 200
    owner.post(
        reverse("approvals:step_add", args=[slug]), {"kind": "role", "role": "copywriter", "name": "Copy"}
    )
    owner.post(
        reverse("approvals:step_add", args=[slug]),
        {"kind": "client", "client_email": "c@example.com", "name": ""},
    )
    response = owner.post(url, {"mode": "multi_step", "remind_after_hours": 12, "client_link_days": 5})
    assert response.status_code == 302
    page = owner.get(url).content.decode()
    assert page.count('data-testid="step-row"') == 2
    bad = owner.post(url, {"mode": "required", "remind_after_hours": 12, "client_link_days": 5})
    assert bad.status_code == 422
    from portevoix.approvals.models import ApprovalStep

    first, second = ApprovalStep.objects.filter(workspace=team.workspace)
    owner.post(reverse("approvals:step_move", args=[slug, second.pk]), {"direction": "up"})
    assert [s.pk for s in ApprovalStep.objects.filter(workspace=team.workspace)] == [second.pk, first.pk]
    # Removing one of two steps in multi-step mode is refused with a message, not an error page.
    response = owner.post(reverse("approvals:step_delete", args=[slug, first.pk]))
    assert response.status_code == 302
    assert ApprovalStep.objects.filter(workspace=team.workspace).count() == 2


# --- API ------------------------------------------------------------------------------------------


def _json(client, method, url, body=None):
    call = getattr(client, method)
    if body is None:
        return call(url)
    return call(url, json.dumps(body), content_type="application/json")


def test_api_flow(team, api_client_for, django_capture_on_commit_callbacks):
    owner = api_client_for(team.member(Role.OWNER))
    response = _json(
        owner,
        "put",
        "/api/v1/approval-policy",
        {
            "mode": "multi_step",
            "steps": [
                {"name": "Copy", "role": "designer"},
                {"by_client": True, "client_email": "c@example.com"},
            ],
        },
    )
    assert response.status_code == 200, response.content
    assert next(s["label"] for s in response.json()["steps"]) == "Designer"
    bad = _json(owner, "put", "/api/v1/approval-policy", {"mode": "required", "steps": [{}, {}]})
    assert bad.status_code == 422
    assert _json(owner, "put", "/api/v1/approval-policy", {"mode": "sometimes"}).status_code == 422
    post = make_post(team)
    writer = api_client_for(team.member(Role.COPYWRITER))
    assert _json(writer, "post", f"/api/v1/posts/{post.pk}/approve", {"note": ""}).status_code == 409
    submitted = _json(writer, "post", f"/api/v1/posts/{post.pk}/submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "pending"
    assert submitted.json()["current_step"]["step_name"] == "Copy"
    assert _json(writer, "post", f"/api/v1/posts/{post.pk}/submit").status_code == 409
    denied = _json(owner, "post", f"/api/v1/posts/{post.pk}/approve", {"note": ""})
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forbidden"
    designer = api_client_for(team.member(Role.DESIGNER))
    pending = _json(designer, "get", "/api/v1/approvals/pending").json()["items"]
    assert [item["post_id"] for item in pending] == [post.pk]
    with django_capture_on_commit_callbacks(execute=True):
        approved = _json(designer, "post", f"/api/v1/posts/{post.pk}/approve", {"note": "fine"})
    assert approved.json()["current_step"]["by_client"] is True
    assert len(review_tokens()) == 1
    assert mail.outbox[-1].to == ["c@example.com"]
    client_api = _json(owner, "post", f"/api/v1/posts/{post.pk}/request-changes", {"note": "no"})
    assert client_api.status_code == 403  # the client's step: only through the link
    got = _json(writer, "get", f"/api/v1/posts/{post.pk}/approvals").json()
    assert [d["state"] for d in got["decisions"]] == ["approved", "pending"]
    created = _json(writer, "post", f"/api/v1/posts/{post.pk}/comments", {"body": "Hi"})
    assert created.status_code == 201
    listed = _json(writer, "get", f"/api/v1/posts/{post.pk}/comments").json()
    assert listed["count"] == 1
    assert listed["items"][0]["body"] == "Hi"
    assert _json(writer, "post", f"/api/v1/posts/{post.pk}/comments", {"body": ""}).status_code == 422


def test_api_request_changes_needs_a_note(team, api_client_for):
    set_policy(team, "required")
    post = make_post(team)
    services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    manager = api_client_for(team.member(Role.MANAGER))
    assert _json(manager, "post", f"/api/v1/posts/{post.pk}/request-changes", {"note": ""}).status_code == 422
    ok = _json(manager, "post", f"/api/v1/posts/{post.pk}/request-changes", {"note": "Shorter"})
    assert ok.status_code == 200
    assert ok.json()["state"] == "changes_requested"
    assert Target.objects.get(post=post).state == TargetState.DRAFT  # never scheduled: still a draft
