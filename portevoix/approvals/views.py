"""HTML pages of approvals: the policy settings, the posts awaiting my decision, the actions of the post
page's panel (submit, decide, comment), and the client's public review page reached through a signed link.
Thin: services and selectors do the work."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from portevoix.approvals import selectors, services
from portevoix.approvals.forms import (
    ClientCommentForm,
    ClientDecisionForm,
    CommentForm,
    DecisionForm,
    PolicyForm,
    StepForm,
)
from portevoix.approvals.models import ClientLink
from portevoix.content import selectors as content_selectors
from portevoix.content.models import Post
from portevoix.core.errors import PortevoixError, ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.media import responses
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

# Invalid review tokens allowed per client address in RATE_WINDOW seconds before answering 429.
RATE_LIMIT = 30
RATE_WINDOW = 600


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _post(request: HttpRequest, post_id: int) -> Post:
    return content_selectors.post_get(by=_membership(request), post_id=post_id)


def _error_text(error: PortevoixError) -> str:
    details = [m for messages_ in error.fields.values() for m in messages_ if m != error.message]
    return " ".join([error.message, *details])


def _people(membership: Membership) -> list[tuple[int, str]]:
    members = Membership.objects.filter(workspace=membership.workspace).select_related("user")
    return [(m.user_id, f"{m.user.display_name} ({m.get_role_display()})") for m in members]


# --- Settings -------------------------------------------------------------------------------------


@workspace_view("approval.manage")
def approval_settings(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    policy = selectors.policy_for(membership.workspace)
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                services.policy_set(by=membership, **form.cleaned_data)
            except ValidationFailed as error:
                add_service_errors(form, error)
                messages.error(request, _error_text(error))
                status = 422
            else:
                messages.success(request, _("The approval policy is saved."))
                return redirect("approvals:settings", membership.workspace.slug)
        else:
            status = 422
    else:
        form = PolicyForm(
            initial={
                "mode": policy.mode,
                "remind_after_hours": policy.remind_after_hours,
                "client_link_days": policy.client_link_days,
            }
        )
    steps = selectors.policy_steps(membership.workspace)
    context = {
        "form": form,
        "policy": policy,
        "steps": [(step, selectors.step_label(step)) for step in steps],
        "step_form": StepForm(people=_people(membership), initial={"kind": "leads"}),
    }
    return render(request, "approvals/settings.html", context, status=status)


@require_POST
@workspace_view("approval.manage")
def approval_step_add(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = StepForm(request.POST, people=_people(membership))
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, " ".join(errors))
    else:
        try:
            services.step_add(by=membership, step=form.step())
        except PortevoixError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("The step is added."))
    return redirect("approvals:settings", membership.workspace.slug)


@require_POST
@workspace_view("approval.manage")
def approval_step_delete(request: HttpRequest, step_id: int) -> HttpResponse:
    membership = _membership(request)
    try:
        services.step_delete(by=membership, step_id=step_id)
    except ValidationFailed as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The step is removed."))
    return redirect("approvals:settings", membership.workspace.slug)


@require_POST
@workspace_view("approval.manage")
def approval_step_move(request: HttpRequest, step_id: int) -> HttpResponse:
    membership = _membership(request)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.step_move(by=membership, step_id=step_id, offset=offset)
    except ValidationFailed as error:
        messages.error(request, _error_text(error))
    return redirect("approvals:settings", membership.workspace.slug)


# --- Posts awaiting my decision -------------------------------------------------------------------


@require_safe
@workspace_view("post.approve")
def approval_pending(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    awaiting = selectors.awaiting_decision(by=membership)
    return render(request, "approvals/pending.html", {"awaiting": awaiting})


# --- The post page's panel ------------------------------------------------------------------------


def _back(membership: Membership, post: Post) -> HttpResponse:
    return redirect("content:detail", membership.workspace.slug, post.pk)


@require_POST
@workspace_view("post.submit")
def approval_submit(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = _post(request, post_id)
    try:
        services.post_submit(by=membership, post=post)
    except PortevoixError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The post is sent for approval."))
    return _back(membership, post)


@require_POST
@workspace_view("post.approve")
def approval_decide(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = _post(request, post_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or to request changes."))
        return _back(membership, post)
    note = form.cleaned_data["note"]
    try:
        if form.cleaned_data["decision"] == "approve":
            services.decision_approve(by=membership, post=post, note=note)
            messages.success(request, _("Approved."))
        else:
            services.decision_request_changes(by=membership, post=post, note=note)
            messages.success(request, _("Changes requested: the author is told."))
    except PortevoixError as error:
        messages.error(request, _error_text(error))
    return _back(membership, post)


@require_POST
@workspace_view("comment.write")
def approval_comment(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = _post(request, post_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Write a comment of at most %(max)s characters.") % {"max": services.MAX_COMMENT}
        )
        return _back(membership, post)
    try:
        services.comment_add(by=membership, post=post, body=form.cleaned_data["body"])
    except PortevoixError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Comment added."))
    return _back(membership, post)


# --- The client's page ----------------------------------------------------------------------------


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]


def _too_many_failures(request: HttpRequest) -> bool:
    return int(cache.get(f"approvals:review-fail:{_client_address(request)}", 0)) >= RATE_LIMIT


def _count_failure(request: HttpRequest) -> None:
    key = f"approvals:review-fail:{_client_address(request)}"
    if not cache.add(key, 1, RATE_WINDOW):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, RATE_WINDOW)


def _link_problem(request: HttpRequest, problem: selectors.LinkProblem) -> HttpResponse:
    if problem.reason == "invalid":
        _count_failure(request)
    response = render(
        request,
        "approvals/review_invalid.html",
        {"problem": problem, "reason": problem.reason},
        status=problem.status,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


def _review_context(
    link: ClientLink, token: str, decision_form: ClientDecisionForm, comment_form: ClientCommentForm
) -> dict[str, object]:
    post = link.post
    return {
        "link": link,
        "post": post,
        "workspace": post.workspace,
        "previews": selectors.review_previews(post),
        "comments": selectors.post_comments(post=post),
        "decision_form": decision_form,
        "comment_form": comment_form,
        "token": token,
    }


@never_cache
def review(request: HttpRequest, token: str) -> HttpResponse:
    """The client's review page: the post's previews, its planned time, the comments, and the decision.
    No account, no navigation into the app; the token is the only key."""
    if _too_many_failures(request):
        return render(request, "approvals/review_invalid.html", {"reason": "throttled"}, status=429)
    try:
        link = selectors.client_link_get(token)
    except selectors.LinkProblem as problem:
        return _link_problem(request, problem)
    decision_form = ClientDecisionForm()
    comment_form = ClientCommentForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "comment":
                comment_form = ClientCommentForm(request.POST)
                if comment_form.is_valid():
                    services.client_comment_add(token=token, **comment_form.cleaned_data)
                    messages.success(request, _("Your comment is added."))
                    return redirect("approvals:review", token)
                status = 422
            else:
                decision_form = ClientDecisionForm(request.POST)
                if decision_form.is_valid():
                    data = decision_form.cleaned_data
                    services.client_decide(
                        token=token,
                        approve=data["decision"] == "approve",
                        name=data["name"],
                        note=data["note"],
                    )
                    response = render(
                        request,
                        "approvals/review_done.html",
                        {"approved": data["decision"] == "approve", "workspace": link.post.workspace},
                    )
                    response["X-Robots-Tag"] = "noindex"
                    return response
                status = 422
        except selectors.LinkProblem as problem:
            return _link_problem(request, problem)
        except ValidationFailed as error:
            add_service_errors(comment_form if action == "comment" else decision_form, error)
            status = 422
    response = render(
        request,
        "approvals/review.html",
        _review_context(link, token, decision_form, comment_form),
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    # The token is in the address: never pass it to another site ("no-referrer" would also make browsers
    # send "Origin: null" with the form, which Django's CSRF check refuses).
    response["Referrer-Policy"] = "same-origin"
    return response


@require_safe
def review_media(request: HttpRequest, token: str, asset_id: int) -> HttpResponse:
    """A thumbnail of a file attached to the link's post."""
    if _too_many_failures(request):
        return HttpResponse(status=429)
    try:
        link = selectors.client_link_get(token)
    except selectors.LinkProblem as problem:
        if problem.reason == "invalid":
            _count_failure(request)
        return HttpResponse(status=problem.status)
    asset = selectors.review_asset(link, asset_id)
    return cast(HttpResponse, responses.media_response(request, asset, "thumbnail"))
