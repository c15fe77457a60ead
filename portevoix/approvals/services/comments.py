"""Comments on posts, with mentions of members (comment.write), and the client's comments."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from portevoix.accounts.models import User
from portevoix.approvals import selectors
from portevoix.approvals.models import (
    Comment,
)
from portevoix.approvals.services._common import MAX_CLIENT_NAME, MAX_COMMENT, _text
from portevoix.approvals.services.flow import _own, _post_url, post_title
from portevoix.content.models import Post
from portevoix.teamtasks.notices import notice_send
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership, Workspace

# --- Comments -------------------------------------------------------------------------------------

# "@camille" (the local part of a member's e-mail address) or "@camille@example.com" (the whole address).
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def mentioned_users(workspace: Workspace, body: str) -> list[User]:
    """Members named in ``body``: ``@`` and their whole e-mail address, or ``@`` and its part before the
    "@" when exactly one member's address starts so (otherwise the mention names nobody)."""
    names = {match.group(1).rstrip(".").lower() for match in MENTION.finditer(body)}
    if not names:
        return []
    users = [m.user for m in Membership.objects.filter(workspace=workspace).select_related("user")]
    by_email = {user.email.lower(): user for user in users}
    by_local: dict[str, list[User]] = {}
    for user in users:
        by_local.setdefault(user.email.lower().split("@", 1)[0], []).append(user)
    found: dict[int, User] = {}
    for name in sorted(names):
        if "@" in name:
            exact = by_email.get(name)
            if exact is not None:
                found[exact.pk] = exact
        elif len(by_local.get(name, [])) == 1:
            only = by_local[name][0]
            found[only.pk] = only
    return list(found.values())


def _comment(post: Post, body: str, *, author: User | None, author_name: str) -> Comment:
    comment = Comment.objects.create(
        post=post, author=author, author_name=author_name[:MAX_CLIENT_NAME], body=body
    )
    mentioned = [
        user for user in mentioned_users(post.workspace, body) if author is None or user.pk != author.pk
    ]
    comment.mentions.set(mentioned)
    title = post_title(post)
    for user in mentioned:
        notice_send(
            workspace=post.workspace,
            user=user,
            kind="mention",
            title=lambda: (
                _("%(person)s mentioned you on a post: %(title)s") % {"person": author_name, "title": title}
            ),
            url=_post_url(post),
        )
    return comment


def comment_add(*, by: Membership, post: Post, body: str) -> Comment:
    """Comment on a post; each member mentioned (see ``mentioned_users``) is told."""
    permissions.require(by, "comment.write")
    _own(by, post)
    body = _text(body, field="body", maximum=MAX_COMMENT, required=True)
    with transaction.atomic():
        comment = _comment(post, body, author=by.user, author_name=by.user.display_name)
        audit.record(
            actor=by.user,
            action="comment.create",
            workspace=by.workspace,
            obj=post,
            comment=comment.pk,
            mentions=[user.pk for user in comment.mentions.all()],
        )
    return comment


def client_comment_add(*, token: str, name: str, body: str) -> Comment:
    """The client comments through their (usable) link."""
    name = _text(name, field="name", maximum=MAX_CLIENT_NAME, required=True)
    body = _text(body, field="body", maximum=MAX_COMMENT, required=True)
    with transaction.atomic():
        link = selectors.client_link_get(token)
        post = link.post
        comment = _comment(post, body, author=None, author_name=name)
        audit.record(
            actor=None,
            action="comment.client_create",
            workspace=post.workspace,
            obj=post,
            comment=comment.pk,
            client_name=name,
            client_email=link.decision.client_email,
        )
    return comment
