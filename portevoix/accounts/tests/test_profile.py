"""The profile page (name, language, time zone) and the language switcher."""

from __future__ import annotations

from django.test import Client

from portevoix.accounts.models import User


def test_profile_saves_name_language_and_time_zone(person, client_for):
    client = client_for(person)
    assert client.get("/accounts/profile/").status_code == 200
    response = client.post(
        "/accounts/profile/",
        {
            "full_name": "Ada King",
            "language": "fr",
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    person.refresh_from_db()
    assert (person.full_name, person.language, person.timezone) == ("Ada King", "fr", "Europe/Paris")
    assert response.cookies["django_language"].value == "fr"

    # The interface switches at once, whatever the browser asks for.
    page = client.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "fr"
    assert page.context["TIME_ZONE"] == "Europe/Paris"


def test_empty_language_and_time_zone_follow_the_workspace(make_user, client_for):
    user = make_user(language="ru", timezone="Asia/Tokyo")
    response = client_for(user).post("/accounts/profile/", {"full_name": "", "language": "", "timezone": ""})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.language, user.timezone) == ("", "")


def test_profile_refuses_unknown_language_and_time_zone(person, client_for):
    response = client_for(person).post(
        "/accounts/profile/",
        {
            "full_name": "Ada",
            "language": "xx",
            "timezone": "Mars/Olympus_Mons",
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"language", "timezone"}
    person.refresh_from_db()
    assert (person.language, person.timezone) == ("", "")


def test_profile_needs_sign_in(db):
    response = Client().get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_set_language_for_anonymous_sets_a_cookie(db):
    response = Client().post("/accounts/language/", {"language": "ru", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies["django_language"].value == "ru"


def test_set_language_for_signed_in_person_is_saved_on_the_account(person, client_for):
    client = client_for(person)
    response = client.post("/accounts/language/", {"language": "fr", "next": "/accounts/profile/"})
    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).language == "fr"


def test_set_language_ignores_unknown_languages_and_foreign_targets(person, client_for):
    response = client_for(person).post(
        "/accounts/language/", {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "django_language" not in response.cookies
    assert User.objects.get(pk=person.pk).language == ""


def test_set_language_is_post_only(db):
    assert Client().get("/accounts/language/").status_code == 405
