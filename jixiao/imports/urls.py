from django.urls import path

from jixiao.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.start, name="start"),
    path("batches/<int:pk>/map/", views.batch_map, name="batch_map"),
    path("batches/<int:pk>/preview/", views.batch_preview, name="batch_preview"),
    path("batches/<int:pk>/", views.batch_result, name="batch_result"),
    path("batches/<int:pk>/errors.xlsx", views.error_report, name="error_report"),
    path("employees/export/", views.employee_export_view, name="employee_export"),
]
