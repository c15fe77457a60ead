"""The connectors' user-facing labels and help, marked for translation.

Connectors are plain Python without Django, so their declared strings cannot call gettext; they are listed
here with ``gettext_noop`` so that `make messages` extracts them, and channels/catalog.py translates them when
a page is drawn. A test fails when a connector declares a string missing from this list.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

STRINGS = frozenset(
    {
        # Bluesky
        gettext_noop("Handle or DID"),
        gettext_noop("The account's handle (for example name.bsky.social) or its DID."),
        gettext_noop("App password"),
        gettext_noop(
            "Bluesky: Settings > Privacy and security > App passwords > Add App Password. "
            "Not the account's main password."
        ),
        # Discord
        gettext_noop("Webhook URL"),
        gettext_noop(
            "In Discord: the channel's settings, Integrations, Webhooks, New Webhook, then Copy Webhook URL "
            "(you need the Manage Webhooks permission)."
        ),
        # Mastodon
        gettext_noop("Access token"),
        gettext_noop(
            "Instead of signing in: create an application under Preferences > Development on your instance "
            "with the scopes read:accounts, read:statuses, write:statuses and write:media, and paste its "
            "access token."
        ),
        # Telegram
        gettext_noop("Bot token"),
        gettext_noop(
            "Create a bot with @BotFather (/newbot) and paste the token it gives. Then add the bot to the "
            "channel or group as an administrator allowed to post messages."
        ),
        gettext_noop("Channel or group"),
        gettext_noop(
            "Its public @username (or https://t.me/username), or for a private chat its numeric id such as "
            "-1001234567890."
        ),
    }
)
