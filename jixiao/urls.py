from django.urls import include, path

from jixiao.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("jixiao.org.urls")),
    path("imports/", include("jixiao.imports.urls")),
    path("audit/", include("jixiao.audit.urls")),
    path("notifications/", include("jixiao.notifications.urls")),
    path("attendance/", include("jixiao.attendance.urls")),
    path("metrics/", include("jixiao.metrics.urls")),
    path("", include("jixiao.web.urls")),
]
