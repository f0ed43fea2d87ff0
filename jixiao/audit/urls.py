from django.urls import path

from jixiao.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("verify/", views.verify, name="verify"),
    path("export.xlsx", views.export, name="export"),
    path("history/", views.object_history, name="object_history"),
]
