from django.contrib import admin
from django.urls import include, path

from portevoix.api import api
from portevoix.core import views as core_views
from portevoix.workspaces import views as workspace_views

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("portevoix.accounts.urls")),
    path("", include("portevoix.workspaces.urls")),
    path("", include("portevoix.channels.urls")),
    path("", include("portevoix.media.urls")),
    path("", include("portevoix.content.urls")),
    path("", include("portevoix.publishing.urls")),
    path("", include("portevoix.planning.urls")),
    path("", include("portevoix.approvals.urls")),
    path("", include("portevoix.teamtasks.urls")),
    path("", include("portevoix.links.urls")),  # the /l/<code> redirect is links/fastpath.py
    path("", include("portevoix.metrics.urls")),
    path("", include("portevoix.integrations.urls")),  # GA4 and Yandex Metrica imports
    path("", include("portevoix.analytics.urls")),  # site tracker (/t/... is analytics/fastpath.py)
    path("", include("portevoix.reports.urls")),  # PDF and CSV reports, schedules, logo
    path("", include("portevoix.dashboards.urls")),  # charts, funnel, comparison
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
