"""Which addresses a short link may point to, and their normal form.

Only absolute ``http``/``https`` addresses with a host are accepted: no ``javascript:``, ``data:``,
``ftp:`` or relative address, no user name or password in the address (``https://bank.example@evil.test``
reads as bank.example but goes to evil.test), no backslash (browsers read it as a slash), no control
characters, at most ``MAX_TARGET_LENGTH`` characters. International domain names are stored in their ASCII
(punycode) form and other non-ASCII characters percent-encoded, so the ``Location`` header is plain ASCII.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

from django.utils.translation import gettext as _

from portevoix.core.errors import ValidationFailed
from portevoix.links.models import MAX_TARGET_LENGTH

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# Characters left as they are when percent-encoding a path, query or fragment (RFC 3986 reserved and
# unreserved characters, and "%" so that existing escapes survive).
_SAFE = "/%:@!$&'()*+,;=-._~?#[]"


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"url": [message]})


def _ascii_host(host: str) -> str:
    if host.startswith("[") and host.endswith("]"):  # an IPv6 literal
        if not re.fullmatch(r"\[[0-9a-fA-F:.]+\]", host):
            raise _invalid(_("The address's host is not valid."))
        return host.lower()
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _invalid(_("The address's host is not valid.")) from None
    labels = ascii_host.rstrip(".").split(".")
    if not ascii_host or len(ascii_host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise _invalid(_("The address's host is not valid."))
    return ascii_host


def clean_target(value: object) -> str:
    """The normal form of a link target, or ValidationFailed (field ``url``) saying what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid(_("Enter the address the link leads to."))
    url = value.strip()
    if len(url) > MAX_TARGET_LENGTH:
        raise _invalid(
            _("The address is too long (at most %(max)s characters).") % {"max": MAX_TARGET_LENGTH}
        )
    if _CONTROL.search(url) or "\\" in url:
        raise _invalid(_("The address contains spaces, control characters or backslashes."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _invalid(_("This is not a valid web address.")) from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise _invalid(_("Only http:// and https:// addresses can be shortened."))
    if not parts.netloc or not parts.hostname:
        raise _invalid(_("Enter a full address with its host, e.g. https://example.com/page."))
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise _invalid(_("Addresses with a user name or password are not accepted."))
    raw_host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    host = _ascii_host(raw_host)
    netloc = host if port is None else f"{host}:{port}"
    normal = urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=_SAFE) or "/",
            quote(parts.query, safe=_SAFE),
            quote(parts.fragment, safe=_SAFE),
        )
    )
    if len(normal) > MAX_TARGET_LENGTH:
        raise _invalid(
            _("The address is too long (at most %(max)s characters).") % {"max": MAX_TARGET_LENGTH}
        )
    return normal
