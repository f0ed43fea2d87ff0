from django.urls import path

from jixiao.org import views

app_name = "org"

urlpatterns = [
    path("employees/", views.employee_list, name="employee_list"),
    path("employees/new/", views.employee_create, name="employee_create"),
    path("employees/<int:pk>/", views.employee_detail, name="employee_detail"),
    path("employees/<int:pk>/edit/", views.employee_edit, name="employee_edit"),
    path("employees/<int:pk>/changes/", views.employee_change, name="employee_change"),
    path(
        "employees/<int:pk>/changes/<int:change_id>/cancel/",
        views.employee_change_cancel,
        name="employee_change_cancel",
    ),
    path("departments/", views.department_tree, name="department_tree"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("departments/<int:pk>/delete/", views.department_delete, name="department_delete"),
]

for _key, _segment in (
    ("position", "positions"),
    ("work_location", "work-locations"),
    ("tag", "tags"),
    ("custom_field", "custom-fields"),
):
    urlpatterns += [
        path(
            f"settings/{_segment}/",
            views.settings_list,
            {"resource_key": _key},
            name=f"{_key}_list",
        ),
        path(
            f"settings/{_segment}/<int:pk>/delete/",
            views.settings_delete,
            {"resource_key": _key},
            name=f"{_key}_delete",
        ),
    ]
