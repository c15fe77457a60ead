"""UTM tags from the workspace's rules: template checking and rendering, and adding tags to an address.

A template is text with placeholders among ``PLACEHOLDERS`` (``{network}``, ``{rubric}``...); ``{{`` and
``}}`` are literal braces. Rendered values are percent-encoded when added to the query string. A tag whose
template renders empty is left out. A ``utm_*`` parameter already on the target is kept unless the rule says
``override``, in which case every occurrence of it is replaced.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from urllib.parse import quote, unquote_plus, urlencode, urlsplit, urlunsplit

from django.utils.translation import gettext as _

from portevoix.core.errors import ValidationFailed
from portevoix.links.models import MAX_TEMPLATE_LENGTH

TAGS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
PLACEHOLDERS = ("network", "channel", "rubric", "campaign", "post_id", "workspace")
_FORMATTER = string.Formatter()


def check_template(template: str, *, field: str) -> str:
    """The template if every placeholder is known (no attribute, index, conversion or format spec)."""
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise ValidationFailed(
            _("A template has at most %(max)s characters.") % {"max": MAX_TEMPLATE_LENGTH},
            fields={field: [_("At most %(max)s characters.") % {"max": MAX_TEMPLATE_LENGTH}]},
        )
    if "\x00" in template:
        raise ValidationFailed(
            _("Text cannot contain NUL characters."), fields={field: [_("No NUL characters.")]}
        )
    # The placeholders themselves are machine text, listed with the form and in GET /api/v1/utm-rules: the
    # messages do not spell them out (they would read as English in every language).
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError:
        message = _("Unbalanced braces: write two braces for a literal one.")
        raise ValidationFailed(message, fields={field: [message]}) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            message = _(
                "Unknown placeholder: %(name)s. Use one of the placeholders listed with the rules."
            ) % {"name": name}
            raise ValidationFailed(message, fields={field: [message]})
    return template


def render(template: str, values: Mapping[str, str]) -> str:
    return template.format_map({name: values.get(name, "") for name in PLACEHOLDERS}).strip()


def apply_tags(url: str, tags: Mapping[str, str], *, override: bool) -> str:
    """``url`` with ``tags`` (empty ones skipped) added to its query string; the rest of the address is
    left byte for byte as it was."""
    wanted = {key: value for key, value in tags.items() if value}
    if not wanted:
        return url
    parts = urlsplit(url)
    pieces = [piece for piece in parts.query.split("&") if piece] if parts.query else []
    present = {unquote_plus(piece.split("=", 1)[0]) for piece in pieces}
    if override:
        pieces = [piece for piece in pieces if unquote_plus(piece.split("=", 1)[0]) not in wanted]
    else:
        wanted = {key: value for key, value in wanted.items() if key not in present}
    added = urlencode(list(wanted.items()), quote_via=quote)
    query = "&".join([*pieces, added] if added else pieces)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
