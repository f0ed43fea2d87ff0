from django.urls import URLPattern, URLResolver, path

from jixiao.metrics import views

app_name = "metrics"

urlpatterns: list[URLPattern | URLResolver] = [
    path("indicators/", views.indicator_list, name="indicator_list"),
    path("me/", views.my_data, name="my_data"),
    path("values/<int:pk>/", views.value_detail, name="value_detail"),
    path("events/<int:pk>/dispute/", views.event_dispute, name="event_dispute"),
    path("unmatched/", views.unmatched_queue, name="unmatched"),
]

from jixiao.metrics import views_quality  # noqa: E402

urlpatterns += [
    path("quality/", views_quality.quality_dashboard, name="quality"),
    path("quality/checks/", views_quality.quality_check_list, name="quality_checks"),
    path("quality/checks/run/", views_quality.quality_check_run_now, name="quality_check_run"),
    path("quality/checks/<int:pk>/", views_quality.quality_check_detail, name="quality_check"),
]

from jixiao.metrics import views_rollups  # noqa: E402

urlpatterns += [
    path("rollups/team/", views_rollups.rollup_team, name="rollup_team"),
    path("rollups/department/", views_rollups.rollup_department, name="rollup_department"),
    path("rollups/member/", views_rollups.rollup_member, name="rollup_member"),
]

from jixiao.metrics import views_sources  # noqa: E402

urlpatterns += [
    path("sources/", views_sources.source_list, name="source_list"),
    path("sources/new/<str:kind>/", views_sources.source_create, name="source_create"),
    path("sources/<int:pk>/", views_sources.source_detail, name="source_detail"),
    path("sources/<int:pk>/edit/", views_sources.source_edit, name="source_edit"),
    path("sources/<int:pk>/enabled/", views_sources.source_enabled, name="source_enabled"),
    path("sources/<int:pk>/test/", views_sources.source_test, name="source_test"),
    path("sources/<int:pk>/sync/", views_sources.source_sync, name="source_sync"),
    path("sources/<int:pk>/secret/", views_sources.source_secret_rotate, name="source_secret"),
    path("sources/<int:pk>/delete/", views_sources.source_delete, name="source_delete"),
    path("sources/<int:pk>/runs/", views_sources.source_runs, name="source_runs"),
    path("sources/<int:pk>/import/", views_sources.source_import, name="source_import"),
    path(
        "sources/<int:pk>/import/<int:batch_id>/map/",
        views_sources.source_import_map,
        name="source_import_map",
    ),
    path(
        "sources/<int:pk>/import/<int:batch_id>/preview/",
        views_sources.source_import_preview,
        name="source_import_preview",
    ),
    path(
        "sources/<int:pk>/import/<int:batch_id>/",
        views_sources.source_import_result,
        name="source_import_result",
    ),
]

from jixiao.metrics import views_indicators  # noqa: E402

urlpatterns += [
    path("indicators/new/", views_indicators.indicator_create, name="indicator_create"),
    path(
        "indicators/formula-check/",
        views_indicators.formula_check,
        name="indicator_formula_check",
    ),
    path("indicators/<int:pk>/", views_indicators.indicator_detail, name="indicator_detail"),
    path("indicators/<int:pk>/edit/", views_indicators.indicator_edit, name="indicator_edit"),
    path("indicators/<int:pk>/active/", views_indicators.indicator_active, name="indicator_active"),
]

from jixiao.metrics import views_manual  # noqa: E402

urlpatterns += [
    path("manual/", views_manual.manual_mine, name="manual_mine"),
    path("manual/queue/", views_manual.manual_queue, name="manual_queue"),
    path("manual/<int:pk>/decide/", views_manual.manual_decide, name="manual_decide"),
]
