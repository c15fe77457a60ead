"""Checking what the tracker script sends (``POST /t/e``) and what the server-side conversions endpoint
receives: pure functions, no database. Anything unexpected is refused with a short reason; nothing from a
refused beacon is stored.

A beacon is a JSON object (at most ``MAX_BODY`` bytes, sent as text/plain so browsers skip the CORS
preflight)::

    {"k": "<site key>", "v": "<visitor id: 32 hex digits>", "e": "pageview" | "engagement" | "goal",
     # pageview: "p": "/path", "r": "<document.referrer>", "u": {"source": ..., "medium": ..., "campaign":
     #           ..., "content": ..., "term": ...}, "l": "<short-link code>"
     # engagement: "s": <visible-tab seconds since the last engagement beacon, 0..1800>
     # goal: "g": "signup" | "purchase" | "registration" | "<custom name>", "rev": <number>, "cur": "EUR",
     #       "oid": "<order id>"}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_BODY = 4096
MAX_PATH = 500
MAX_REFERRER = 2000
MAX_TAG = 150
MAX_ORDER_ID = 100
MAX_SECONDS = 1800  # one engagement beacon counts at most 30 minutes of visible time
MAX_REVENUE = Decimal("9999999999.99")  # the column's bounds (12 digits, 2 decimals)
KINDS = ("pageview", "engagement", "goal")
UTM_KEYS = ("source", "medium", "campaign", "content", "term")
BUILTIN_GOALS = ("signup", "purchase", "registration")

_SITE_KEY = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
_VISITOR = re.compile(r"^[0-9a-f]{32}$")
_CUSTOM_GOAL = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")
_LINK_CODE = re.compile(r"^[A-Za-z0-9]{8}$")

# ISO 4217 currency codes in use (funds, precious metals and test codes left out).
_CURRENCY_TEXT = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP "
    "GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF "
    "KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR "
    "MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK "
    "SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI "
    "UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL"
)
CURRENCIES = frozenset(_CURRENCY_TEXT.split())


class Refused(ValueError):
    """A beacon or conversion that is not stored; ``field`` names what was wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Beacon:
    site_key: str
    visitor: str
    kind: str
    path: str = ""
    referrer: str = ""
    utm: tuple[tuple[str, str], ...] = ()
    link_code: str = ""
    seconds: int = 0
    goal: str = ""
    revenue: Decimal | None = None
    currency: str = ""
    order_id: str = ""


def _text(data: dict[str, object], key: str, limit: int, *, required: bool = False) -> str:
    value = data.get(key, "")
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise Refused(key, "must be a string")
    if required and not value:
        raise Refused(key, "is required")
    if len(value) > limit:
        raise Refused(key, f"at most {limit} characters")
    if "\x00" in value or any(ord(char) < 32 for char in value):
        raise Refused(key, "control characters are not allowed")
    return value


def goal_name(value: object) -> str:
    """``signup``, ``purchase``, ``registration`` or ``custom:<name>`` (a custom name is lower-case letters,
    digits, ``_ . -``, at most 50)."""
    if not isinstance(value, str) or not value:
        raise Refused("goal", _("Name the goal."))
    value = value.strip().lower()
    if value in BUILTIN_GOALS:
        return value
    name = value.removeprefix("custom:")
    if not _CUSTOM_GOAL.match(name):
        raise Refused(
            "goal", _("Use signup, purchase, registration or a custom name (a-z, 0-9, _ . -; at most 50).")
        )
    return f"custom:{name}"


def revenue_amount(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise Refused("revenue", _("Enter a number."))
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Refused("revenue", _("Enter a number.")) from None
    if not amount.is_finite():
        raise Refused("revenue", _("Enter a number."))
    if amount < 0:
        raise Refused("revenue", _("A revenue cannot be negative."))
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount > MAX_REVENUE:
        raise Refused("revenue", _("Enter a number no greater than %(max)s.") % {"max": MAX_REVENUE})
    return amount


def currency_code(value: object, *, revenue: Decimal | None) -> str:
    if value in (None, ""):
        if revenue is not None:
            raise Refused("currency", _("A revenue needs its ISO 4217 currency, e.g. EUR."))
        return ""
    if not isinstance(value, str) or value.upper() not in CURRENCIES:
        raise Refused("currency", _("Enter an ISO 4217 currency code of three letters, e.g. EUR."))
    return value.upper()


def order_id(value: object) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise Refused("order_id", _("Enter a text value."))
    value = value.strip()
    if len(value) > MAX_ORDER_ID or any(ord(char) < 32 for char in value):
        raise Refused("order_id", _("Use at most %(max)s printable characters.") % {"max": MAX_ORDER_ID})
    return value


def visitor_id(value: object) -> str:
    if not isinstance(value, str) or not _VISITOR.match(value.lower()):
        raise Refused("visitor", _("A visitor id is 32 hexadecimal digits."))
    return value.lower()


def parse(body: bytes) -> Beacon:
    """The beacon in ``body``, or Refused."""
    if len(body) > MAX_BODY:
        raise Refused("body", "too large")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused("body", "not JSON") from None
    if not isinstance(data, dict):
        raise Refused("body", "a JSON object is expected")
    kind = data.get("e")
    if kind not in KINDS:
        raise Refused("e", "pageview, engagement or goal")
    allowed = {"k", "v", "e"} | {
        "pageview": {"p", "r", "u", "l"},
        "engagement": {"s"},
        "goal": {"g", "rev", "cur", "oid"},
    }[str(kind)]
    unknown = set(data) - allowed
    if unknown:
        raise Refused(sorted(unknown)[0][:20], "unknown key")
    site_key = data.get("k")
    if not isinstance(site_key, str) or not _SITE_KEY.match(site_key):
        raise Refused("k", "not a site key")
    visitor = visitor_id(data.get("v"))
    if kind == "pageview":
        path = _text(data, "p", MAX_PATH, required=True)
        if not path.startswith("/"):
            raise Refused("p", "must start with /")
        referrer = _text(data, "r", MAX_REFERRER)
        tags = data.get("u") or {}
        if not isinstance(tags, dict):
            raise Refused("u", "must be an object")
        utm = []
        for key in tags:
            if key not in UTM_KEYS:
                raise Refused("u", "unknown UTM tag")
            utm.append((key, _text(tags, key, MAX_TAG).strip()))
        code = _text(data, "l", 16)
        if code and not _LINK_CODE.match(code):
            code = ""  # a mangled code in the landing address is ignored, not an error
        return Beacon(site_key, visitor, "pageview", path, referrer, tuple(utm), code)
    if kind == "engagement":
        seconds = data.get("s")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise Refused("s", "must be a number of seconds")
        if not 0 <= seconds <= MAX_SECONDS:
            raise Refused("s", f"between 0 and {MAX_SECONDS}")
        return Beacon(site_key, visitor, "engagement", seconds=round(seconds))
    goal = goal_name(data.get("g"))
    revenue = revenue_amount(data.get("rev"))
    currency = currency_code(data.get("cur"), revenue=revenue)
    return Beacon(
        site_key,
        visitor,
        "goal",
        goal=goal,
        revenue=revenue,
        currency=currency,
        order_id=order_id(data.get("oid")),
    )
