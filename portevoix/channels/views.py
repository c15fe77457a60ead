"""HTML pages of the channels: the list, connecting (a form built from the connector's fields, or signing
in on the network), testing, reconnecting, renaming and disconnecting. Thin: services do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portevoix.channels import catalog, oauth, selectors, services
from portevoix.channels.catalog import Network
from portevoix.channels.forms import ChoiceForm, ConnectForm, RenameForm, ServerForm
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.connectors.errors import ConnectorError
from portevoix.core import http
from portevoix.core.errors import NotFound, PortevoixError, ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.workspaces import permissions
from portevoix.workspaces import selectors as workspace_selectors
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view


def _posted(request: HttpRequest) -> Any:
    """The POST data for a bound form (even when empty: an empty submission shows its errors)."""
    return request.POST if request.method == "POST" else None


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _network_or_404(key: str) -> Network:
    net = catalog.network(key)
    if net is None:
        raise Http404("No such network.")
    return net


def _channel_or_404(request: HttpRequest, channel_id: int) -> Channel:
    return selectors.channel_get(by=_membership(request), channel_id=channel_id)


def _row(channel: Channel) -> dict[str, Any]:
    net = catalog.network(channel.network)
    return {
        "channel": channel,
        "network_label": net.label if net else channel.network,
        "health": selectors.channel_health(channel),
    }


# --- The list and one channel ---------------------------------------------------------------------


@workspace_view("channel.view")
def channel_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    rows = [_row(channel) for channel in selectors.channel_list(by=membership)]
    context = {
        "rows": rows,
        "attention": sum(1 for row in rows if row["health"].needs_attention),
        "can_manage": permissions.can(membership, "channel.manage"),
    }
    return render(request, "channels/list.html", context)


@workspace_view("channel.view")
def channel_detail(request: HttpRequest, channel_id: int) -> HttpResponse:
    membership = _membership(request)
    channel = _channel_or_404(request, channel_id)
    net = catalog.network(channel.network)
    context = {
        **_row(channel),
        "network": net,
        "can_manage": permissions.can(membership, "channel.manage"),
        "rename_form": RenameForm(initial={"name": channel.name}),
        "disconnected": channel.status == ChannelStatus.DISCONNECTED,
    }
    return render(request, "channels/detail.html", context)


@require_POST
@workspace_view("channel.manage")
def channel_test(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = _channel_or_404(request, channel_id)
    try:
        result = services.channel_test(by=_membership(request), channel=channel)
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        if result.ok:
            messages.success(request, _("The connection works."))
        else:
            messages.error(request, _("The connection failed: %(reason)s") % {"reason": result.message})
    return _back(request, channel)


@require_POST
@workspace_view("channel.manage")
def channel_disconnect(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = _channel_or_404(request, channel_id)
    services.channel_disconnect(by=_membership(request), channel=channel)
    messages.success(
        request,
        _("%(name)s is disconnected; its credentials were deleted. Its posts stay in the history.")
        % {"name": channel.name},
    )
    return redirect("channels:list", _membership(request).workspace.slug)


@require_POST
@workspace_view("channel.manage")
def channel_rename(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = _channel_or_404(request, channel_id)
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the channel a name of at most 200 characters."))
    else:
        try:
            services.channel_rename(by=_membership(request), channel=channel, name=form.cleaned_data["name"])
        except ValidationFailed as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Channel renamed."))
    return redirect("channels:detail", _membership(request).workspace.slug, channel.pk)


def _back(request: HttpRequest, channel: Channel) -> HttpResponse:
    slug = _membership(request).workspace.slug
    if request.POST.get("next") == "detail":
        return redirect("channels:detail", slug, channel.pk)
    return redirect("channels:list", slug)


# --- Connecting -----------------------------------------------------------------------------------


@workspace_view("channel.manage")
def connect_index(request: HttpRequest) -> HttpResponse:
    return render(request, "channels/connect_index.html", {"networks": catalog.networks()})


def _connect_context(request: HttpRequest, net: Network, **extra: Any) -> dict[str, Any]:
    adapter = net.oauth
    return {
        "network": net,
        "adapter": adapter,
        "oauth_ready": adapter is not None and adapter.configured(),
        "setup_help": adapter.setup_help(redirect_uri=oauth.redirect_uri(request))
        if adapter is not None and not adapter.configured()
        else "",
        "server_form": ServerForm() if adapter is not None and adapter.needs_base_url else None,
        **extra,
    }


@workspace_view("channel.manage")
def connect(request: HttpRequest, network: str) -> HttpResponse:
    membership = _membership(request)
    net = _network_or_404(network)
    adapter = net.oauth
    if (
        request.method == "GET"
        and "again" not in request.GET  # back from a failed sign-in: show why, and the button
        and adapter is not None
        and adapter.configured()
        and not adapter.needs_base_url
        and not net.form_available
    ):
        return _start(request, net, adapter, base_url="")
    form = ConnectForm(_posted(request), network=net) if net.form_available else None
    if request.method == "POST":
        if form is None:
            raise Http404("This network has no connect form.")
        if form.is_valid():
            try:
                channel = services.channel_connect(
                    by=membership, network=net.key, fields=form.values(), base_url=form.base_url()
                )
            except PortevoixError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("%(name)s is connected.") % {"name": channel.name})
                return redirect("channels:list", membership.workspace.slug)
    return render(request, "channels/connect.html", _connect_context(request, net, form=form))


@require_POST
@workspace_view("channel.manage")
def oauth_start(request: HttpRequest, network: str) -> HttpResponse:
    membership = _membership(request)
    net = _network_or_404(network)
    adapter = net.oauth
    if adapter is None:
        raise Http404("This network has no sign-in.")
    channel = None
    if request.POST.get("channel"):
        try:
            channel_id = int(request.POST["channel"])
        except ValueError:
            raise Http404("No such channel.") from None
        channel = selectors.channel_get(by=membership, channel_id=channel_id)
        if channel.network != net.key:
            raise Http404("No such channel.")
    base_url = ""
    if adapter.needs_base_url:
        server_form = ServerForm(request.POST)
        problem = None
        if server_form.is_valid():
            try:
                typed = adapter.normalize_base_url(server_form.cleaned_data["base_url"])
                base_url = services.clean_base_url(net, typed)
            except ValueError as error:
                problem = ValidationFailed(str(error), fields={"base_url": [str(error)]})
            except ValidationFailed as error:
                problem = error
        if problem is not None or not server_form.is_valid():
            if problem is not None:
                add_service_errors(server_form, problem)
            context = _connect_context(request, net, form=None, channel=channel)
            context["server_form"] = server_form
            if channel is None and net.form_available:
                context["form"] = ConnectForm(network=net)
            template = "channels/reconnect.html" if channel is not None else "channels/connect.html"
            return render(request, template, context, status=400)
    return _start(request, net, adapter, base_url=base_url, channel=channel)


def _start(
    request: HttpRequest,
    net: Network,
    adapter: oauth.OAuthAdapter,
    *,
    base_url: str,
    channel: Channel | None = None,
) -> HttpResponse:
    slug = _membership(request).workspace.slug
    back = (
        redirect("channels:reconnect", slug, channel.pk)
        if channel
        else redirect(f"{reverse('channels:connect', args=[slug, net.key])}?again=1")
    )
    if not adapter.configured():
        messages.error(
            request,
            _("Signing in with %(network)s is not set up on this server yet.") % {"network": net.label},
        )
        return back
    try:
        with http.client() as client:
            url = oauth.begin(
                request,
                adapter=adapter,
                http=client,
                workspace=slug,
                base_url=base_url,
                channel_id=channel.pk if channel else None,
            )
    except ConnectorError as error:
        messages.error(request, error.message)
        return back
    return redirect(url)


def _oauth_failed(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    return render(request, "channels/oauth_failed.html", {"message": message}, status=status)


@login_required
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Where every network sends the person back after signing in (one URL for the whole install)."""
    try:
        flow = oauth.take(request)
    except oauth.FlowError as error:
        return _oauth_failed(request, error.message)
    try:
        membership = workspace_selectors.membership_for(request.user, flow.workspace)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such workspace.") from None
    workspace = membership.workspace
    if workspace.require_2fa and not request.user.is_verified():  # type: ignore[union-attr]
        return _oauth_failed(request, _("This workspace requires two-factor authentication."), status=403)
    permissions.require(membership, "channel.manage")
    request.membership = membership  # type: ignore[attr-defined]
    request.workspace = workspace  # type: ignore[attr-defined]
    net = catalog.network(flow.network)
    adapter = oauth.adapter_for(flow.network)
    if net is None or adapter is None:
        return _oauth_failed(request, _("Signing in with this network is not available any more."))
    channel = None
    if flow.channel_id is not None:
        channel = selectors.channel_get(by=membership, channel_id=flow.channel_id)
    back = (
        redirect("channels:reconnect", workspace.slug, channel.pk)
        if channel
        else redirect(f"{reverse('channels:connect', args=[workspace.slug, net.key])}?again=1")
    )
    try:
        with http.client() as client:
            grants = adapter.finish(
                http=client,
                redirect_uri=flow.redirect_uri,
                state=flow.state,
                keep=flow.keep,
                query=oauth.callback_query(request),
            )
    except ConnectorError as error:
        messages.error(request, error.message)
        return back
    if channel is not None:
        return _reconnect_with(request, channel, grants, back)
    if not grants:
        messages.error(
            request, _("%(network)s gave no account that can be connected.") % {"network": net.label}
        )
        return back
    if len(grants) == 1:
        try:
            connected = services.channel_connect_oauth(by=membership, network=net.key, grant=grants[0])
        except ValidationFailed as error:
            messages.error(request, error.message)
            return back
        messages.success(request, _("%(name)s is connected.") % {"name": connected.name})
        return redirect("channels:list", workspace.slug)
    oauth.keep_choice(request, network=net.key, workspace=workspace.slug, grants=grants)
    return redirect("channels:oauth_choose", workspace.slug, net.key)


def _reconnect_with(
    request: HttpRequest, channel: Channel, grants: list[oauth.Grant], back: HttpResponse
) -> HttpResponse:
    matching = [g for g in grants if g.external_id == channel.external_id] or [
        g for g in grants if not g.external_id
    ]
    if not matching:
        messages.error(
            request,
            _(
                "The account you signed in with cannot act for “%(name)s”. Sign in with the account "
                "that manages it."
            )
            % {"name": channel.name},
        )
        return back
    try:
        services.channel_reconnect_oauth(by=_membership(request), channel=channel, grant=matching[0])
    except ValidationFailed as error:
        messages.error(request, error.message)
        return back
    messages.success(request, _("%(name)s is reconnected.") % {"name": channel.name})
    return redirect("channels:detail", _membership(request).workspace.slug, channel.pk)


@workspace_view("channel.manage")
def oauth_choose(request: HttpRequest, network: str) -> HttpResponse:
    """Several accounts came back from signing in (the communities a VK user administers): pick some."""
    membership = _membership(request)
    net = _network_or_404(network)
    slug = membership.workspace.slug
    choice = oauth.read_choice(request, network=net.key, workspace=slug)
    if choice is None:
        messages.error(request, _("Nothing to choose from any more: start the connection again."))
        return redirect("channels:connect_index", slug)
    labels = [grant.label or grant.handle or grant.external_id or net.label for grant in choice.grants]
    form = ChoiceForm(_posted(request), labels=labels)
    if request.method == "POST" and form.is_valid():
        connected, failed = [], []
        for index in form.indexes():
            try:
                channel = services.channel_connect_oauth(
                    by=membership, network=net.key, grant=choice.grants[index]
                )
            except ValidationFailed as error:
                failed.append(f"{labels[index]}: {error.message}")
            else:
                connected.append(channel.name)
        for problem in failed:
            messages.error(request, problem)
        if connected:
            messages.success(request, _("Connected: %(names)s.") % {"names": ", ".join(connected)})
        if not failed:
            oauth.forget_choice(request)
            return redirect("channels:list", slug)
    return render(request, "channels/choose.html", {"network": net, "form": form})


# --- Reconnecting ---------------------------------------------------------------------------------


@workspace_view("channel.manage")
def channel_reconnect(request: HttpRequest, channel_id: int) -> HttpResponse:
    membership = _membership(request)
    channel = _channel_or_404(request, channel_id)
    net = _network_or_404(channel.network)
    if net.is_manual:
        messages.error(request, _("A manual channel has no credentials to renew."))
        return redirect("channels:detail", membership.workspace.slug, channel.pk)
    form = None
    if net.fields:
        initial = {name: value for name, value in (channel.options or {}).items() if isinstance(value, str)}
        form = ConnectForm(_posted(request), network=net, base_url=channel.base_url, initial=initial)
    if request.method == "POST":
        if form is None:
            raise Http404("This network has no connect form.")
        if form.is_valid():
            try:
                services.channel_reconnect(
                    by=membership, channel=channel, fields=form.values(), base_url=form.base_url()
                )
            except PortevoixError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("%(name)s is reconnected.") % {"name": channel.name})
                return redirect("channels:detail", membership.workspace.slug, channel.pk)
    context = _connect_context(request, net, form=form, channel=channel)
    if context["server_form"] is not None:
        context["server_form"] = ServerForm(initial={"base_url": channel.base_url})
    return render(request, "channels/reconnect.html", context)
