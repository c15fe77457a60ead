"""Pages of the GA4 and Metrica integrations rendered in every language (see tests/pages/__init__.py). The
"test" button answers from respx (Metrica's documented error format): no request reaches the network."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx
import respx
from django.test import override_settings
from django.urls import reverse

from portevoix.integrations import services
from portevoix.integrations.models import TrafficDaily
from portevoix.workspaces.roles import Role
from tests.matrix.integrations import service_account_json
from tests.test_pages_render import Visit, World, page

METRICA_ERROR = {
    "errors": [{"error_type": "access_denied", "message": "Access is denied"}],
    "code": 403,
    "message": "Access is denied",
}


def it(name: str, world: World, *args: object) -> str:
    return reverse(f"integrations:{name}", args=[world.slug(), *args])


def _metrica(world: World, name: str = "Site counter"):  # type: ignore[no-untyped-def]
    return services.integration_connect_metrica(
        by=world.member(Role.OWNER), name=name, counter_id="44147844", token="pages-token", goal_ids="1001"
    )


@page("integrations:list")
def _integrations_list(world: World) -> Iterator[Visit]:
    yield Visit("empty", world.signed_in().get(it("list", world)))
    integration = _metrica(world)
    services.integration_connect_ga4(
        by=world.member(Role.OWNER), name="Site GA4", property_id="123456789", key_json=service_account_json()
    )
    today = dt.date.today()
    for source, sessions in (("vk", 120), ("telegram", 40)):
        TrafficDaily.objects.create(
            workspace=world.workspace,
            integration=integration,
            day=today,
            source=source,
            medium="social",
            campaign="spring",
            sessions=sessions,
            bounce_rate=25.0,
            avg_duration=80.0,
            conversions=3,
            revenue=Decimal("150.00"),
            currency="RUB",
        )
    integration.last_error = "HTTP 403: access_denied"  # stored text, as the import job wrote it
    integration.status = "failed"
    integration.save()
    yield Visit("with integrations and traffic", world.signed_in().get(it("list", world)))
    yield Visit("designer: read only", world.signed_in(Role.DESIGNER).get(it("list", world)))
    yield Visit(
        "reversed period", world.signed_in().get(it("list", world) + "?start=2026-02-01&end=2026-01-01")
    )


@page("integrations:connect_ga4")
def _connect_ga4(world: World) -> Iterator[Visit]:
    client = world.signed_in(Role.ANALYST)
    data = {
        "ga4-name": "Shop",
        "ga4-property_id": "123456789",
        "ga4-key_json": service_account_json(),
        "ga4-conversion_metric": "keyEvents",
    }
    yield Visit("connected", client.post(it("connect_ga4", world), data, follow=True))
    bad = {**data, "ga4-key_json": '{"client_email": "x@example.com"}'}
    yield Visit("bad key file", client.post(it("connect_ga4", world), bad), 422)


@page("integrations:connect_metrica")
def _connect_metrica(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    data = {
        "metrica-name": "Atelier site",
        "metrica-counter_id": "44147844",
        "metrica-token": "pages-token",
        "metrica-goal_ids": "1, 2",
        "metrica-currency": "RUB",
    }
    yield Visit("connected", client.post(it("connect_metrica", world), data, follow=True))
    yield Visit(
        "too many goals",
        client.post(it("connect_metrica", world), {**data, "metrica-goal_ids": "1,2,3,4,5,6,7,8,9"}),
        422,
    )


@page("integrations:test")
def _integrations_test(world: World) -> Iterator[Visit]:
    integration = _metrica(world)
    client = world.signed_in()
    with override_settings(PORTEVOIX_HTTP_ALLOW_PRIVATE=True), respx.mock(assert_all_called=False) as router:
        route = router.get(url__regex=r"^https://api-metrika\.yandex\.net/stat/v1/data")
        route.mock(return_value=httpx.Response(403, json=METRICA_ERROR))
        yield Visit("failed", client.post(it("test", world, integration.pk), follow=True))
        route.mock(return_value=httpx.Response(200, json={"data": [], "total_rows": 0}))
        yield Visit("works", client.post(it("test", world, integration.pk), follow=True))


@page("integrations:import")
def _integrations_import(world: World) -> Iterator[Visit]:
    integration = _metrica(world)
    yield Visit(
        "queued", world.signed_in(Role.MANAGER).post(it("import", world, integration.pk), follow=True)
    )


@page("integrations:disconnect")
def _integrations_disconnect(world: World) -> Iterator[Visit]:
    integration = _metrica(world)
    yield Visit("disconnected", world.signed_in().post(it("disconnect", world, integration.pk), follow=True))
