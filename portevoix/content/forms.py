"""The composer's form: base text, one text field per network variant, channels, media, link, and what to
do (save the draft, publish now, schedule). Checks only the shape of the input; services do the rest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portevoix.channels.models import Channel
from portevoix.content.services import MAX_LINK_LENGTH, MAX_TITLE_LENGTH
from portevoix.media.models import MediaAsset
from portevoix.textcount import MAX_TEXT_LENGTH

ACTIONS = (("save", _("Save draft")), ("publish", _("Publish now")), ("schedule", _("Schedule")))
VARIANT_PREFIX = "variant_"


def _no_nul(value: str) -> None:
    if "\x00" in (value or ""):
        raise forms.ValidationError(_("Text cannot contain NUL characters."))


class ComposerForm(forms.Form):
    title = forms.CharField(
        label=_("Internal title"),
        required=False,
        max_length=MAX_TITLE_LENGTH,
        validators=[_no_nul],
        help_text=_("Only the team sees it."),
    )
    text = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        max_length=MAX_TEXT_LENGTH,
        validators=[_no_nul],
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    link = forms.CharField(
        label=_("Link"),
        required=False,
        max_length=MAX_LINK_LENGTH,
        validators=[_no_nul],
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    channels = forms.TypedMultipleChoiceField(
        label=_("Channels"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    schedule_at = forms.CharField(
        label=_("Date and time"),
        required=False,
        max_length=40,
        validators=[_no_nul],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    action = forms.ChoiceField(choices=ACTIONS, required=False)
    rubric = forms.TypedChoiceField(label=_("Rubric"), required=False, coerce=int, empty_value=None)
    evergreen = forms.BooleanField(
        label=_("Evergreen"),
        required=False,
        help_text=_("May be published again in free queue slots (evergreen recycling)."),
    )

    def __init__(
        self,
        *args: Any,
        channels: Iterable[Channel] = (),
        media: Iterable[MediaAsset] = (),
        networks: Iterable[tuple[str, str]] = (),
        rubrics: Iterable[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = [(c.pk, c.name) for c in channels]  # type: ignore[attr-defined]
        self.fields["rubric"].choices = [  # type: ignore[attr-defined]
            ("", _("No rubric")),
            *((rubric.pk, rubric.name) for rubric in rubrics),
        ]
        # Declared here, not on the class: a class attribute ``media`` would shadow ``Form.media``.
        self.fields["media"] = forms.TypedMultipleChoiceField(
            label=_("Media"),
            required=False,
            coerce=int,
            widget=forms.CheckboxSelectMultiple,
            choices=[(asset.pk, asset.original_name or asset.sha256[:12]) for asset in media],
        )
        self.networks = list(networks)
        for key, label in self.networks:
            self.fields[VARIANT_PREFIX + key] = forms.CharField(
                label=label,
                required=False,
                strip=False,
                max_length=MAX_TEXT_LENGTH,
                validators=[_no_nul],
                widget=forms.Textarea(attrs={"rows": 6}),
            )

    def variants(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(VARIANT_PREFIX + key) or "" for key, _label in self.networks}

    def variant_fields(self) -> list[tuple[str, str, forms.BoundField]]:
        return [(key, label, self[VARIANT_PREFIX + key]) for key, label in self.networks]


class ScheduleForm(forms.Form):
    schedule_at = forms.CharField(
        label=_("Date and time"),
        max_length=40,
        validators=[_no_nul],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class FilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200, validators=[_no_nul])

    def __init__(self, *args: Any, statuses: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *statuses]  # type: ignore[attr-defined]
