import logging

import httpx
import pytest

from portevoix.core import http


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/admin",
        "http://localhost/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_destinations_are_blocked(url):
    with http.client() as client, pytest.raises(http.BlockedAddress):
        client.get(url)
    with pytest.raises(ValueError, match="private or internal"):
        http.validate_outgoing_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/", "https://"),
        ("javascript:alert(1)", "https://"),
        ("https://user:pw@example.com/", "user name or password"),
        ("/relative", "https://"),
    ],
)
def test_malformed_urls_are_refused_with_a_message(url, message):
    with pytest.raises(ValueError, match=message):
        http.validate_outgoing_url(url)


def test_an_allowed_private_host_is_reachable(settings):
    settings.PORTEVOIX_HTTP_ALLOWED_PRIVATE_HOSTS = ["localhost"]
    http.check_host("localhost")
    with pytest.raises(http.BlockedAddress):
        http.check_host("127.0.0.1")


def test_public_addresses_pass():
    assert http.is_public_address("93.184.215.14")
    assert not http.is_public_address("192.168.1.1")
    assert not http.is_public_address("fd00::1")


def test_log_names_host_and_status_but_not_the_path(caplog, settings):
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = True
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    with http.client(transport=transport) as client, caplog.at_level(logging.INFO, logger="portevoix.http"):
        response = client.get("https://api.telegram.org/bot123456:SECRET/getMe?token=abc")
    assert response.request.headers["User-Agent"].startswith("Portevoix/")
    assert "api.telegram.org -> 204" in caplog.text
    assert "SECRET" not in caplog.text
    assert "abc" not in caplog.text


def test_redirects_are_not_followed_by_default(settings):
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = True
    transport = httpx.MockTransport(
        lambda request: httpx.Response(302, headers={"Location": "http://10.0.0.1/"})
    )
    with http.client(transport=transport) as client:
        assert client.get("https://example.com/").status_code == 302
