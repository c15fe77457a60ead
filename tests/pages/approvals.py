"""Pages of approvals rendered in every language (see tests/pages/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portevoix.approvals import services
from portevoix.approvals.models import ApprovalStep, ClientLink
from portevoix.workspaces.roles import Role
from tests.test_pages_render import SKIPPED, Visit, World, page, post_with_channel

SKIPPED["approvals:review_media"] = (
    "a thumbnail of the reviewed post's media (an image, not a page); approvals/tests/test_views_api.py"
)


def ap(name: str, world: World, *args: object) -> str:
    return reverse(f"approvals:{name}", args=[world.slug(), *args])


def _policy(world: World, mode: str, steps: list[services.StepIn] | None = None) -> None:
    services.policy_set(by=world.member(Role.OWNER), mode=mode, steps=steps)


def _client_review(world: World) -> tuple[object, str]:
    """A post awaiting the client (whose link is e-mailed); returns (post, token)."""
    _policy(world, "required", [services.StepIn(by_client=True, client_email="client@example.com")])
    post = post_with_channel(world)
    mail.outbox = []
    services.post_submit(by=world.member(Role.COPYWRITER), post=post)
    # The e-mail goes out after the commit; tests run in one transaction, so issue a link by hand too.
    link_token = services._issue_link(post, post.approval_decisions.get(), reminder=False)
    return post, link_token


@page("approvals:pending")
def _pending(world: World) -> Iterator[Visit]:
    yield Visit("nothing", world.signed_in(Role.MANAGER).get(ap("pending", world)))
    _policy(world, "required")
    post = post_with_channel(world)
    services.post_submit(by=world.member(Role.COPYWRITER), post=post)
    yield Visit("one post", world.signed_in(Role.MANAGER).get(ap("pending", world)))


@page("approvals:settings")
def _settings(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    yield Visit("no policy", client.get(ap("settings", world)))
    _policy(
        world,
        "multi_step",
        [
            services.StepIn(name="Copy editor", role="copywriter"),
            services.StepIn(by_client=True, client_email="c@example.com"),
        ],
    )
    yield Visit("multi-step", client.get(ap("settings", world)))
    data = {"mode": "required", "remind_after_hours": 24, "client_link_days": 7}
    yield Visit("refused: two steps in required mode", client.post(ap("settings", world), data), 422)
    yield Visit("saved", client.post(ap("settings", world), {**data, "mode": "optional"}, follow=True))


@page("approvals:step_add")
def _step_add(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    data = {"kind": "person", "user": world.member(Role.DESIGNER).user_id, "name": "Design check"}
    yield Visit("added", client.post(ap("step_add", world), data, follow=True))
    yield Visit("invalid", client.post(ap("step_add", world), {"kind": "client"}, follow=True))


@page("approvals:step_delete")
def _step_delete(world: World) -> Iterator[Visit]:
    _policy(world, "multi_step", [services.StepIn(role="copywriter"), services.StepIn()])
    step = ApprovalStep.objects.filter(workspace=world.workspace).first()
    client = world.signed_in()
    yield Visit("refused", client.post(ap("step_delete", world, step.pk), follow=True))
    _policy(world, "none")
    yield Visit("removed", client.post(ap("step_delete", world, step.pk), follow=True))


@page("approvals:step_move")
def _step_move(world: World) -> Iterator[Visit]:
    _policy(world, "multi_step", [services.StepIn(role="copywriter"), services.StepIn()])
    step = ApprovalStep.objects.filter(workspace=world.workspace).last()
    yield Visit(
        "moved", world.signed_in().post(ap("step_move", world, step.pk), {"direction": "up"}, follow=True)
    )


@page("approvals:submit")
def _submit(world: World) -> Iterator[Visit]:
    post = post_with_channel(world)
    client = world.signed_in(Role.COPYWRITER)
    yield Visit("approval off", client.post(ap("submit", world, post.pk), follow=True))
    _policy(world, "required")
    yield Visit("submitted", client.post(ap("submit", world, post.pk), follow=True))


@page("approvals:decide")
def _decide(world: World) -> Iterator[Visit]:
    _policy(world, "required")
    post = post_with_channel(world)
    services.post_submit(by=world.member(Role.COPYWRITER), post=post)
    writer = world.signed_in(Role.COPYWRITER)
    yield Visit(
        "not one's step", writer.post(ap("decide", world, post.pk), {"decision": "approve"}, follow=True)
    )
    manager = world.signed_in(Role.MANAGER)
    changes = {"decision": "changes", "note": "Shorter, please"}
    yield Visit("changes requested", manager.post(ap("decide", world, post.pk), changes, follow=True))
    services.post_submit(by=world.member(Role.COPYWRITER), post=post)
    yield Visit("approved", manager.post(ap("decide", world, post.pk), {"decision": "approve"}, follow=True))


@page("approvals:comment")
def _comment(world: World) -> Iterator[Visit]:
    post = post_with_channel(world)
    client = world.signed_in(Role.DESIGNER)
    body = {"body": f"@{world.member(Role.COPYWRITER).user.email} can you shorten it?"}
    yield Visit("added", client.post(ap("comment", world, post.pk), body, follow=True))
    yield Visit("empty", client.post(ap("comment", world, post.pk), {"body": ""}, follow=True))


@page("approvals:review")
def _review(world: World) -> Iterator[Visit]:
    post, token = _client_review(world)
    services.comment_add(by=world.member(Role.COPYWRITER), post=post, body="Here is the new photo.")
    url = reverse("approvals:review", args=[token])
    client = world.anonymous()
    yield Visit("to review", client.get(url))
    yield Visit("note missing", client.post(url, {"decision": "changes", "name": "Clara"}), 422)
    yield Visit(
        "comment", client.post(url, {"action": "comment", "name": "Clara", "body": "Nice"}, follow=True)
    )
    yield Visit("approved", client.post(url, {"decision": "approve", "name": "Clara"}))
    yield Visit("already decided", client.get(url), 410)
    yield Visit("forged", client.get(reverse("approvals:review", args=["forged-token"])), 404)
    _post, other = _client_review(world)
    ClientLink.objects.update(expires_at=timezone.now() - timedelta(days=1))
    yield Visit("expired", client.get(reverse("approvals:review", args=[other])), 410)
    ClientLink.objects.update(expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now())
    yield Visit("replaced", client.get(reverse("approvals:review", args=[other])), 410)
