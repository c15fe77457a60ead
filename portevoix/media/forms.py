"""HTML forms of the media library."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portevoix.media.formats import ACCEPTED_CONTENT_TYPES
from portevoix.media.models import MediaKind
from portevoix.media.services import MAX_ALT_TEXT

MAX_FILES = 20


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is judged by the upload service, not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(ACCEPTED_CONTENT_TYPES)}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [item for item in files if item]
        if not files:
            raise forms.ValidationError(_("Choose at least one file."), code="required")
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Upload at most %(max)s files at a time.") % {"max": MAX_FILES}, code="too_many"
            )
        return files


class UploadForm(forms.Form):
    # The field's name shadows Form.files (the request's files) in the type checker only: Django's form
    # metaclass moves declared fields into base_fields.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Images or videos"),
        help_text=_("JPEG, PNG, GIF, WebP; MP4, MOV, WebM. Location and camera data are removed."),
    )
    alt_text = forms.CharField(
        label=_("Alt text"),
        required=False,
        max_length=MAX_ALT_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Optional: what the pictures show, for people who cannot see them. Applies to every file."
        ),
    )


class AltTextForm(forms.Form):
    alt_text = forms.CharField(
        label=_("Alt text"),
        required=False,
        max_length=MAX_ALT_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the image or video shows, for people who cannot see it. Networks show it to them."),
    )


class FilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *MediaKind.choices])
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
