"""The reports API and pages: downloads, schedules, logo; scoped, role-checked, clear 4xx."""

from __future__ import annotations

import base64
import json

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portevoix.media.tests.helpers import image_bytes
from portevoix.reports.models import ReportBranding, ReportSchedule
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

PERIOD = "start=2026-03-01&end=2026-03-07"


def test_pdf_and_csv_downloads(team, fixture, api_client_for):
    client = api_client_for(team.member(Role.DESIGNER))  # analytics.view: every staff role
    response = client.get(f"/api/v1/reports/pdf?{PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "report-" in response["Content-Disposition"]
    assert "2026-03-01-2026-03-07.pdf" in response["Content-Disposition"]
    response = client.get(f"/api/v1/reports/csv?{PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert "kpi,followers,Followers,1550" in body
    assert client.get("/api/v1/reports/csv?preset=last_7").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-03-10&end=2026-03-01", "start"),
        ("start=2024-01-01&end=2026-01-01", "end"),
        ("start=not-a-date", "start"),
        ("start=9999-01-01", "start"),
        ("preset=forever", "preset"),
    ],
)
def test_bad_periods_are_422(team, api_client_for, query, field):
    response = api_client_for(team.member(Role.OWNER)).get(f"/api/v1/reports/pdf?{query}")
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_client_cannot_download(team, api_client_for):
    response = api_client_for(team.member(Role.CLIENT)).get("/api/v1/reports/csv")
    assert response.status_code == 403


def test_schedules_crud(team, other_team, api_client_for):
    analyst = api_client_for(team.member(Role.ANALYST))
    body = {
        "name": "Mensuel",
        "frequency": "monthly",
        "day_of_month": 31,
        "time": "07:30",
        "format": "csv",
        "member_ids": [team.member(Role.OWNER).pk],
        "emails": ["agence@example.org"],
    }
    response = analyst.post("/api/v1/reports/schedules", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["next_run_at"]
    assert created["language"] == "en"
    bad = {**body, "emails": ["nope"], "member_ids": [other_team.member(Role.OWNER).pk]}
    response = analyst.post("/api/v1/reports/schedules", json.dumps(bad), content_type="application/json")
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) >= {"emails", "member_ids"}
    response = analyst.post(
        "/api/v1/reports/schedules", json.dumps({**body, "time": "25:00"}), content_type="application/json"
    )
    assert response.status_code == 422

    designer = api_client_for(team.member(Role.DESIGNER))
    listed = designer.get("/api/v1/reports/schedules").json()
    assert listed["timezone"] == "Europe/Paris"
    assert [item["name"] for item in listed["items"]] == ["Mensuel"]
    url = f"/api/v1/reports/schedules/{created['id']}"
    assert designer.patch(url, "{}", content_type="application/json").status_code == 403
    response = analyst.patch(url, json.dumps({"active": False}), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert response.json()["next_run_at"] is None
    assert response.json()["emails"] == ["agence@example.org"]  # unchanged fields are kept
    foreign = api_client_for(other_team.member(Role.OWNER))
    assert foreign.delete(url).status_code == 404
    assert analyst.delete(url).status_code == 204
    assert not ReportSchedule.objects.exists()


def test_logo_put_multipart_and_json(team, api_client_for):
    owner = api_client_for(team.member(Role.OWNER))
    png = image_bytes("PNG", (60, 30))
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    payload = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("logo.png", png, "image/png")})
    response = owner.put("/api/v1/reports/logo", payload, content_type=MULTIPART_CONTENT)
    assert response.status_code == 200, response.content
    assert response.json() == {"content_type": "image/png", "width": 60, "height": 30}
    jpeg = base64.b64encode(image_bytes("JPEG")).decode()
    response = owner.put(
        "/api/v1/reports/logo", json.dumps({"content_base64": jpeg}), content_type="application/json"
    )
    assert response.json()["content_type"] == "image/jpeg"
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>').decode()
    response = owner.put(
        "/api/v1/reports/logo", json.dumps({"content_base64": svg}), content_type="application/json"
    )
    assert response.status_code == 422
    assert "SVG" in response.json()["error"]["fields"]["file"][0]
    response = owner.put("/api/v1/reports/logo", "garbage", content_type="application/json")
    assert response.status_code == 422
    response = owner.put("/api/v1/reports/logo", b"raw", content_type="image/png")
    assert response.status_code == 422
    response = api_client_for(team.member(Role.COPYWRITER)).put(
        "/api/v1/reports/logo", json.dumps({"content_base64": jpeg}), content_type="application/json"
    )
    assert response.status_code == 403
    assert ReportBranding.objects.get(workspace=team.workspace).logo_type == "image/jpeg"


# --- Pages ---------------------------------------------------------------------------------------


def test_page_downloads_and_forms(team, fixture, client_for):
    slug = team.workspace.slug
    client = client_for(team.user(Role.OWNER))
    page = client.get(reverse("reports:page", args=[slug]) + f"?{PERIOD}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="kpi-followers"' in html
    assert "1,550" in html
    assert 'data-testid="schedule-form"' in html
    response = client.get(reverse("reports:pdf", args=[slug]) + f"?{PERIOD}")
    assert response.content.startswith(b"%PDF-")
    response = client.get(reverse("reports:csv", args=[slug]) + "?preset=last_30")
    assert b"".join(response.streaming_content).startswith("\ufeff".encode())
    assert (
        client.get(reverse("reports:pdf", args=[slug]) + "?start=2026-03-09&end=2026-03-01").status_code
        == 422
    )

    logo = SimpleUploadedFile("logo.png", image_bytes("PNG"), "image/png")
    response = client.post(reverse("reports:logo_upload", args=[slug]), {"file": logo}, follow=True)
    assert 'data-testid="report-logo"' in response.content.decode()
    svg = SimpleUploadedFile("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    assert client.post(reverse("reports:logo_upload", args=[slug]), {"file": svg}).status_code == 422

    data = {
        "name": "Hebdo",
        "frequency": "weekly",
        "weekday": "0",
        "day_of_month": "1",
        "time_of_day": "09:00",
        "report_format": "both",
        "language": "fr",
        "members": [str(team.member(Role.MANAGER).pk)],
        "emails": "a@example.org, b@example.org",
        "active": "on",
    }
    response = client.post(reverse("reports:schedule_create", args=[slug]), data)
    assert response.status_code == 302
    item = ReportSchedule.objects.get()
    assert item.emails == ["a@example.org", "b@example.org"]
    edit = reverse("reports:schedule_edit", args=[slug, item.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {**data, "emails": "not-an-address"}).status_code == 422
    assert client.post(edit, {**data, "name": "Hebdo 2"}).status_code == 302
    item.refresh_from_db()
    assert item.name == "Hebdo 2"
    assert client.post(reverse("reports:schedule_delete", args=[slug, item.pk])).status_code == 302
    assert mail.outbox == []


def test_page_for_a_read_only_role_has_no_forms(team, client_for):
    page = client_for(team.user(Role.COPYWRITER)).get(reverse("reports:page", args=[team.workspace.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="schedule-form"' not in html
    assert 'data-testid="logo-form"' not in html
    assert (
        client_for(team.user(Role.CLIENT))
        .get(reverse("reports:page", args=[team.workspace.slug]))
        .status_code
        == 403
    )
