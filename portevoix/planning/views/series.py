"""Pages of recurring series: the list, the form that builds a rule (with a preview of its next
occurrences), a series with its planned occurrences (change the rule, stop). Thin: selectors and services
do the work and the checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portevoix.content import selectors as content_selectors
from portevoix.core.errors import PortevoixError
from portevoix.core.forms import add_service_errors
from portevoix.planning import recurrence
from portevoix.planning.selectors import series as selectors
from portevoix.planning.services import series as services
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

FREQUENCIES = [
    ("DAILY", gettext_lazy("days")),
    ("WEEKLY", gettext_lazy("weeks")),
    ("MONTHLY", gettext_lazy("months")),
    ("YEARLY", gettext_lazy("years")),
]
WEEKDAY_CHOICES = [
    ("MO", gettext_lazy("Monday")),
    ("TU", gettext_lazy("Tuesday")),
    ("WE", gettext_lazy("Wednesday")),
    ("TH", gettext_lazy("Thursday")),
    ("FR", gettext_lazy("Friday")),
    ("SA", gettext_lazy("Saturday")),
    ("SU", gettext_lazy("Sunday")),
]
NTH_CHOICES = [
    ("", gettext_lazy("every chosen weekday")),
    ("1", gettext_lazy("the first")),
    ("2", gettext_lazy("the second")),
    ("3", gettext_lazy("the third")),
    ("4", gettext_lazy("the fourth")),
    ("-1", gettext_lazy("the last")),
]
END_CHOICES = [("count", gettext_lazy("after a number of times")), ("until", gettext_lazy("on a date"))]


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


class RuleForm(forms.Form):
    """Every N days/weeks/months/years, on chosen weekdays or a day of the month, until a date or for a
    number of times; or a rule typed in RFC 5545 form."""

    start = forms.CharField(
        label=gettext_lazy("First time (local)"),
        max_length=25,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    timezone = forms.CharField(label=gettext_lazy("Time zone"), max_length=64)
    interval = forms.IntegerField(
        label=gettext_lazy("Repeat every"), min_value=1, max_value=recurrence.MAX_INTERVAL, initial=1
    )
    freq = forms.ChoiceField(label=gettext_lazy("Unit"), choices=FREQUENCIES, initial="WEEKLY")
    weekdays = forms.MultipleChoiceField(
        label=gettext_lazy("On"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Weekly: the days of the week. Monthly: with a position below (the last Friday)."
        ),
    )
    nth = forms.ChoiceField(label=gettext_lazy("Monthly: which one"), choices=NTH_CHOICES, required=False)
    monthday = forms.IntegerField(
        label=gettext_lazy("Monthly: day of the month"),
        min_value=-31,
        max_value=31,
        required=False,
        help_text=gettext_lazy("1 to 31, or -1 for the last day."),
    )
    ends = forms.ChoiceField(label=gettext_lazy("Ends"), choices=END_CHOICES, initial="count")
    count = forms.IntegerField(
        label=gettext_lazy("Number of times"),
        min_value=1,
        max_value=recurrence.MAX_COUNT,
        required=False,
        initial=10,
    )
    until = forms.DateField(
        label=gettext_lazy("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    rule = forms.CharField(
        label=gettext_lazy("Or a rule (RFC 5545 RRULE)"),
        max_length=recurrence.MAX_RULE_LENGTH,
        required=False,
        help_text=gettext_lazy(
            "For example FREQ=MONTHLY;BYDAY=-1FR;COUNT=12. When given, it replaces the choices above."
        ),
    )

    def rule_text(self) -> str | None:
        """The rule the form describes, or None with the problem added to the form."""
        data = self.cleaned_data
        if (data.get("rule") or "").strip():
            return str(data["rule"]).strip()
        ends = data.get("ends")
        if ends == "until" and not data.get("until"):
            self.add_error("until", _("Choose the last day."))
            return None
        if ends == "count" and not data.get("count"):
            self.add_error("count", _("Enter how many times."))
            return None
        try:
            rule = recurrence.build_rule(
                freq=data["freq"],
                interval=data["interval"],
                weekdays=list(data.get("weekdays") or []),
                monthday=data.get("monthday") or None,
                nth=int(data["nth"]) if data.get("nth") else None,
                until=data.get("until") if ends == "until" else None,
                count=data.get("count") if ends == "count" else None,
            )
        except recurrence.RuleError as error:
            self.add_error(None, error.message)
            return None
        return str(rule)


class SeriesForm(RuleForm):
    template = forms.TypedChoiceField(label=gettext_lazy("Post to repeat"), coerce=int)
    field_order = ["template"]

    def __init__(self, *args: Any, templates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["template"]
        field.choices = [(p.pk, f"#{p.pk} {str(p)[:70]}") for p in templates]
        self.order_fields(["template"])


def _preview(form: RuleForm, membership: Membership, rule: str) -> selectors.Preview | None:
    try:
        return selectors.recurrence_preview(
            rule=rule,
            start=form.cleaned_data["start"],
            timezone_name=form.cleaned_data["timezone"],
            default_zone=membership.workspace.timezone,
        )
    except PortevoixError as error:
        add_service_errors(form, error)
        return None


@workspace_view("post.view")
def series_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    return render(
        request,
        "planning/series_list.html",
        {
            "series_list": selectors.series_list(by=membership),
            "can_manage": permissions.can(membership, "plan.import"),
        },
    )


@workspace_view("plan.import")
def series_new(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    templates = selectors.template_choices(by=membership)
    initial: dict[str, Any] = {
        "timezone": membership.workspace.timezone,
        "start": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT09:00"),
    }
    if request.GET.get("post", "").isdigit():
        initial["template"] = int(request.GET["post"])
    form = SeriesForm(request.POST or None, templates=templates, initial=initial)
    preview = None
    status = 200
    if request.method == "POST":
        rule = form.rule_text() if form.is_valid() else None
        if rule is not None:
            preview = _preview(form, membership, rule)
        if preview is not None and request.POST.get("action") == "create":
            try:
                template = content_selectors.post_get(by=membership, post_id=form.cleaned_data["template"])
                series = services.series_create(
                    by=membership,
                    template=template,
                    rule=rule or "",
                    start=form.cleaned_data["start"],
                    timezone_name=form.cleaned_data["timezone"],
                )
            except PortevoixError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The series is created and its next occurrences are planned."))
                return redirect("planning:series_detail", membership.workspace.slug, series.pk)
        if not form.is_valid():
            status = 422
    return render(
        request,
        "planning/series_form.html",
        {
            "form": form,
            "preview": preview,
            "preview_rows": [(o, recurrence.describe_kind(o)) for o in preview.occurrences]
            if preview
            else [],
            "templates": templates,
        },
        status=status,
    )


@workspace_view("post.view")
def series_detail(request: HttpRequest, series_id: int) -> HttpResponse:
    membership = _membership(request)
    series = selectors.series_get(by=membership, series_id=series_id)
    return _detail(request, membership, series, None)


def _detail(
    request: HttpRequest, membership: Membership, series: Any, form: Any, status: int = 200
) -> HttpResponse:
    if form is None:
        form = EditForm(
            initial={
                "rule": series.rule,
                "start": f"{series.start_date:%Y-%m-%d}T{series.start_time:%H:%M}",
                "timezone": series.timezone,
            }
        )
    planned = [
        {
            "post": post,
            "status": content_selectors.STATUS_LABELS[
                content_selectors.status_from_states([t.state for t in post.targets.all()])
            ],
        }
        for post in selectors.series_upcoming_posts(series=series)
    ]
    return render(
        request,
        "planning/series_detail.html",
        {
            "series": series,
            "planned": planned,
            "next": [(o, recurrence.describe_kind(o)) for o in selectors.series_next(series=series)],
            "past_count": selectors.series_past_count(series=series),
            "can_manage": permissions.can(membership, "plan.import"),
            "form": form,
        },
        status=status,
    )


class EditForm(forms.Form):
    rule = forms.CharField(label=gettext_lazy("Rule (RFC 5545 RRULE)"), max_length=recurrence.MAX_RULE_LENGTH)
    start = forms.CharField(
        label=gettext_lazy("First time (local)"),
        max_length=25,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    timezone = forms.CharField(label=gettext_lazy("Time zone"), max_length=64)


@require_POST
@workspace_view("plan.import")
def series_edit(request: HttpRequest, series_id: int) -> HttpResponse:
    membership = _membership(request)
    series = selectors.series_get(by=membership, series_id=series_id)
    form = EditForm(request.POST)
    if form.is_valid():
        try:
            services.series_update(
                by=membership,
                series=series,
                rule=form.cleaned_data["rule"],
                start=form.cleaned_data["start"],
                timezone_name=form.cleaned_data["timezone"],
            )
        except PortevoixError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The rule is changed; the future occurrences are planned again."))
            return redirect("planning:series_detail", membership.workspace.slug, series.pk)
    return _detail(request, membership, series, form, status=422)


@require_POST
@workspace_view("plan.import")
def series_stop(request: HttpRequest, series_id: int) -> HttpResponse:
    membership = _membership(request)
    series = selectors.series_get(by=membership, series_id=series_id)
    try:
        removed = services.series_stop(by=membership, series=series)
    except PortevoixError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The series is stopped; %(count)s future occurrences were removed from the plan.")
            % {"count": removed},
        )
    return redirect("planning:series_detail", membership.workspace.slug, series.pk)
