"""Forms of the links page: a new short link, and the UTM rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portevoix.links.models import MAX_TARGET_LENGTH, MAX_TEMPLATE_LENGTH


class LinkForm(forms.Form):
    url = forms.CharField(
        label=_("Target address"),
        max_length=MAX_TARGET_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/page"}),
    )
    post = forms.TypedChoiceField(label=_("Post"), required=False, coerce=int, empty_value=None)
    channel = forms.TypedChoiceField(label=_("Channel"), required=False, coerce=int, empty_value=None)
    campaign = forms.CharField(
        label=_("Campaign"),
        max_length=100,
        required=False,
        help_text=_("Used by the UTM rules as the campaign name; default: the post's rubric."),
    )

    def __init__(
        self, *args: object, posts: list[tuple[int, str]], channels: list[tuple[int, str]], **kwargs: object
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        none = [("", _("None"))]
        self.fields["post"].choices = none + posts  # type: ignore[attr-defined]
        self.fields["channel"].choices = none + channels  # type: ignore[attr-defined]


class RulesForm(forms.Form):
    utm_source = forms.CharField(label="utm_source", max_length=MAX_TEMPLATE_LENGTH)
    utm_medium = forms.CharField(label="utm_medium", max_length=MAX_TEMPLATE_LENGTH)
    utm_campaign = forms.CharField(label="utm_campaign", max_length=MAX_TEMPLATE_LENGTH, required=False)
    utm_content = forms.CharField(label="utm_content", max_length=MAX_TEMPLATE_LENGTH, required=False)
    shorten_in_posts = forms.BooleanField(
        label=_("Shorten and tag the links of posts when they are published"),
        required=False,
        help_text=_("Each address in a post becomes a short link with the UTM tags above, per channel."),
    )
    override = forms.BooleanField(
        label=_("Replace UTM tags already on the target"),
        required=False,
        help_text=_("Off: a utm_… parameter already in the target address is kept as it is."),
    )
    custom_domain = forms.CharField(
        label=_("Custom short domain"),
        max_length=253,
        required=False,
        help_text=_("Optional: a host name such as go.example.com that points to this server."),
    )
