import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_nul_byte_in_a_form_is_a_400_not_a_database_error(make_user):
    make_user("someone@example.com")
    response = Client().post("/accounts/login/", {"username": "a\x00b@example.com", "password": "x"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_nul_byte_in_a_query_string_is_refused(make_user):
    response = Client().get("/accounts/login/", {"next": "/w/x\x00/"})
    assert response.status_code == 400


def test_ordinary_requests_pass(make_user):
    make_user("someone@example.com")
    assert (
        Client().post("/accounts/login/", {"username": "someone@example.com", "password": "x"}).status_code
        == 200
    )
