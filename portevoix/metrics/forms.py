"""Forms of the metrics page: the period filter, a post's figures by hand, a follower count, a CSV file."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from portevoix.metrics.services.record import MAX_COUNT

MIN_DAY = dt.date(2000, 1, 1)
MAX_DAY = dt.date(2100, 12, 31)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _date(label: StrOrPromise, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[],
        input_formats=["%Y-%m-%d"],
    )


def _count(label: StrOrPromise, *, required: bool = False) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, min_value=0, max_value=MAX_COUNT)


class _Dated(forms.Form):
    def clean_date(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("date")
        if value is not None and not (MIN_DAY <= value <= MAX_DAY):
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."))
        return value


class PeriodForm(forms.Form):
    start = _date(_("From"), required=False)
    end = _date(_("To"), required=False)
    channel = forms.TypedChoiceField(label=_("Channel"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: object, channels: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["channel"].choices = [("", _("All channels")), *channels]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        for name in ("start", "end"):
            value = data.get(name)
            if isinstance(value, dt.date) and not (MIN_DAY <= value <= MAX_DAY):
                self.add_error(name, _("Enter a date between 2000 and 2100."))
        return data


class ManualForm(_Dated):
    target = forms.TypedChoiceField(label=_("Published post"), coerce=int)
    date = _date(_("Date of the figures"))
    views = _count(_("Views"))
    reach = _count(_("Reach"))
    likes = _count(_("Likes and reactions"))
    comments = _count(_("Comments"))
    shares = _count(_("Shares and reposts"))
    saves = _count(_("Saves"))

    def __init__(self, *args: object, targets: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["target"].choices = targets  # type: ignore[attr-defined]


class FollowersForm(_Dated):
    channel = forms.TypedChoiceField(label=_("Channel"), coerce=int)
    date = _date(_("Date"))
    followers = _count(_("Followers"), required=True)

    def __init__(self, *args: object, channels: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["channel"].choices = channels  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("At most 5 MB and 5,000 rows."))


class ConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=500)
