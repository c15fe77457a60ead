"""A new install, as its first people meet it in a real browser (Debian's chromium driven by Playwright).

The owner sets Portevoix up, signs out and in again, invites a copywriter by e-mail; the copywriter opens
the link in another browser, creates an account, lands in the workspace and switches the interface to
French. Screenshots go to tests/e2e/artifacts/ and, for the user guide, to docs/screenshots/.
"""

from __future__ import annotations

import re
import time

import pytest
from django.utils import translation

from portevoix.accounts.models import User
from portevoix.workspaces.models import Invitation, Membership, Workspace
from tests.e2e.support import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWNER_EMAIL = "odile@example.com"
OWNER_PASSWORD = "Fanfare-lumineuse-2718"
COPYWRITER_EMAIL = "camille@example.com"
COPYWRITER_PASSWORD = "Plume-agile-3141"
WORKSPACE_NAME = "Atelier Lumière"


def field(page, name: str):
    return page.locator(f'main form [name="{name}"]')


def wait_for_mail(outbox: list, count: int, timeout: float = 5.0) -> None:
    """The live server sends mail from its own thread; the page has usually been redirected already."""
    deadline = time.monotonic() + timeout
    while len(outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def french(text: str) -> str:
    """What Django renders for ``text`` in French: our own catalog once it exists, the English until then."""
    with translation.override("fr"):
        return translation.gettext(text)


def test_owner_sets_up_invites_a_copywriter_who_joins_and_switches_to_french(
    live_server, settings, mailoutbox, new_page
):
    from playwright.sync_api import expect

    settings.PORTEVOIX_BASE_URL = live_server.url  # the address e-mailed links point to

    # First visit: nobody exists yet, so "/" leads to the first-run setup page.
    owner = new_page()
    owner.goto(f"{live_server.url}/")
    expect(owner).to_have_url(re.compile(r"/setup/$"))
    expect(owner.locator("h1")).to_have_text("Welcome to Portevoix")
    field(owner, "full_name").fill("Odile Owner")
    field(owner, "email").fill(OWNER_EMAIL)
    field(owner, "password1").fill(OWNER_PASSWORD)
    field(owner, "password2").fill(OWNER_PASSWORD)
    field(owner, "name").fill(WORKSPACE_NAME)
    field(owner, "timezone").select_option("Europe/Paris")
    field(owner, "language").select_option("en")
    save_screenshot(owner, "setup.png", for_docs=True)
    owner.get_by_role("button", name="Create my account and workspace").click()

    # The workspace dashboard.
    workspace = Workspace.objects.get()
    expect(owner).to_have_url(f"{live_server.url}/w/{workspace.slug}/")
    expect(owner.locator("main h1")).to_have_text(WORKSPACE_NAME)
    assert workspace.name == WORKSPACE_NAME
    assert Membership.objects.get(workspace=workspace).user.email == OWNER_EMAIL

    # Sign out, then in again with the e-mail address and password.
    owner.get_by_role("button", name="Sign out").click()
    expect(owner).to_have_url(re.compile(r"/accounts/login/"))
    field(owner, "username").fill(OWNER_EMAIL)
    field(owner, "password").fill(OWNER_PASSWORD)
    owner.locator("main form").get_by_role("button", name="Sign in").click()
    expect(owner).to_have_url(f"{live_server.url}/w/{workspace.slug}/")

    # The Team page: invite a copywriter.
    owner.get_by_role("link", name="Team", exact=True).click()
    expect(owner).to_have_url(f"{live_server.url}/w/{workspace.slug}/team/")
    invite_form = owner.get_by_test_id("invite-form")
    invite_form.locator('[name="email"]').fill(COPYWRITER_EMAIL)
    invite_form.locator('[name="role"]').select_option("copywriter")
    invite_form.get_by_role("button", name="Send invitation").click()
    expect(owner.get_by_text(f"Invitation sent to {COPYWRITER_EMAIL}.")).to_be_visible()
    expect(owner.get_by_test_id("invitation-row")).to_contain_text(COPYWRITER_EMAIL)
    expect(owner.get_by_test_id("invitation-row")).to_contain_text("Copywriter")
    save_screenshot(owner, "team.png", for_docs=True)
    invitation = Invitation.objects.get(workspace=workspace)
    assert (invitation.email, invitation.role) == (COPYWRITER_EMAIL, "copywriter")

    # The invitation e-mail carries a link to this server.
    wait_for_mail(mailoutbox, 1)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [COPYWRITER_EMAIL]
    assert WORKSPACE_NAME in message.subject + message.body
    links = re.findall(r"https?://\S+/invite/\S+/", message.body)
    assert len(links) == 1, message.body
    link = links[0]
    assert link.startswith(f"{live_server.url}/invite/")

    # The copywriter opens it in another browser (no cookies shared with the owner).
    copywriter = new_page()
    copywriter.goto(link)
    expect(copywriter.locator("h1")).to_have_text(f"Join {WORKSPACE_NAME}")
    expect(copywriter.get_by_text(COPYWRITER_EMAIL)).to_be_visible()
    field(copywriter, "full_name").fill("Camille Copy")
    field(copywriter, "password1").fill(COPYWRITER_PASSWORD)
    field(copywriter, "password2").fill(COPYWRITER_PASSWORD)
    copywriter.get_by_role("button", name="Accept the invitation").click()
    expect(copywriter).to_have_url(f"{live_server.url}/w/{workspace.slug}/")
    expect(copywriter.locator("main h1")).to_have_text(WORKSPACE_NAME)
    expect(copywriter.get_by_text(f"Welcome to {WORKSPACE_NAME}.")).to_be_visible()
    joined = Membership.objects.get(workspace=workspace, user__email=COPYWRITER_EMAIL)
    assert joined.role == "copywriter"

    # The footer's language selector switches the interface to French, and it sticks to the account.
    expect(copywriter.locator("html")).to_have_attribute("lang", "en")
    with copywriter.expect_navigation():
        copywriter.get_by_test_id("language-form").locator('select[name="language"]').select_option("fr")
    expect(copywriter.locator("html")).to_have_attribute("lang", "fr")
    expect(copywriter).to_have_url(f"{live_server.url}/w/{workspace.slug}/")
    assert User.objects.get(email=COPYWRITER_EMAIL).language == "fr"
    response = copywriter.reload()
    assert response is not None
    assert response.headers.get("content-language") == "fr"
    expect(copywriter.locator("html")).to_have_attribute("lang", "fr")
    # Our own strings: their French once locale/fr exists (the English until then, so this holds today).
    expect(copywriter.get_by_role("button", name=french("Sign out"))).to_be_visible()
    expect(copywriter.locator("aside").get_by_role("link", name=french("Overview"))).to_be_visible()
    save_screenshot(copywriter, "dashboard-fr.png", for_docs=True)

    # Django's own French catalog is there today: an empty form answers in French.
    copywriter.goto(f"{live_server.url}/workspaces/new/")
    expect(copywriter.locator("html")).to_have_attribute("lang", "fr")
    copywriter.locator("main form button[type=submit]").click()
    expect(copywriter.get_by_text("Ce champ est obligatoire.").first).to_be_visible()
    assert Workspace.objects.count() == 1

    # The owner's interface is still in English.
    owner.reload()
    expect(owner.locator("html")).to_have_attribute("lang", "en")
