"""Beacon checking: anything unexpected is refused with the field at fault."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from portevoix.analytics import beacon

VID = "0123456789abcdef0123456789abcdef"
KEY = "abcdefgh12345678"


def body(**data):
    return json.dumps({"k": KEY, "v": VID, **data}).encode()


def test_a_pageview():
    parsed = beacon.parse(
        body(
            e="pageview", p="/shop", r="https://t.co/x", u={"source": "vk", "medium": "social"}, l="AbCd1234"
        )
    )
    assert parsed.kind == "pageview"
    assert parsed.path == "/shop"
    assert dict(parsed.utm) == {"source": "vk", "medium": "social"}
    assert parsed.link_code == "AbCd1234"


def test_a_purchase():
    parsed = beacon.parse(body(e="goal", g="purchase", rev=12.5, cur="eur", oid="A-1"))
    assert (parsed.goal, parsed.revenue, parsed.currency, parsed.order_id) == (
        "purchase",
        Decimal("12.50"),
        "EUR",
        "A-1",
    )
    assert beacon.parse(body(e="goal", g="Newsletter")).goal == "custom:newsletter"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"", "body"),
        (b"{", "body"),
        (b"\xff\xfe", "body"),
        (b"[1, 2]", "body"),
        (b"null", "body"),
        (b"x" * 5000, "body"),
        (b"[" * 4000, "body"),  # nested deeper than the parser's recursion limit
        (json.dumps({"e": "click"}).encode(), "e"),
        (body(e="pageview", p="/", extra=1), "extra"),
        (json.dumps({"k": 5, "v": VID, "e": "pageview", "p": "/"}).encode(), "k"),
        (json.dumps({"k": "short", "v": VID, "e": "pageview", "p": "/"}).encode(), "k"),
        (json.dumps({"k": KEY, "v": "not-hex", "e": "pageview", "p": "/"}).encode(), "visitor"),
        (body(e="pageview"), "p"),
        (body(e="pageview", p=5), "p"),
        (body(e="pageview", p="relative"), "p"),
        (body(e="pageview", p="/a\x00b"), "p"),
        (body(e="pageview", p="/" + "a" * 600), "p"),
        (body(e="pageview", p="/", u=["source"]), "u"),
        (body(e="pageview", p="/", u={"evil": "x"}), "u"),
        (body(e="pageview", p="/", u={"source": 5}), "source"),
        (body(e="engagement", s="10"), "s"),
        (body(e="engagement", s=True), "s"),
        (body(e="engagement", s=-1), "s"),
        (body(e="engagement", s=99999), "s"),
        (body(e="goal"), "goal"),
        (body(e="goal", g="bad name!"), "goal"),
        (body(e="goal", g="purchase", rev=-1, cur="EUR"), "revenue"),
        (body(e="goal", g="purchase", rev="12,5", cur="EUR"), "revenue"),
        (body(e="goal", g="purchase", rev=1e20, cur="EUR"), "revenue"),
        (
            b'{"k": "abcdefgh12345678", "v": "'
            + VID.encode()
            + b'", "e": "goal", "g": "purchase", "rev": NaN}',
            "revenue",
        ),
        (body(e="goal", g="purchase", rev=10), "currency"),
        (body(e="goal", g="purchase", rev=10, cur="EURO"), "currency"),
        (body(e="goal", g="purchase", rev=10, cur="XXX"), "currency"),
        (body(e="goal", g="purchase", rev=10, cur=978), "currency"),
        (body(e="goal", g="purchase", oid={"$gt": ""}), "order_id"),
        (body(e="goal", g="purchase", oid="x" * 101), "order_id"),
    ],
)
def test_hostile_payloads_are_refused(raw, field):
    with pytest.raises(beacon.Refused) as refused:
        beacon.parse(raw)
    assert refused.value.field == field
