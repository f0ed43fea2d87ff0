from django.urls import URLPattern, path

from jixiao.notifications import views

app_name = "notifications"

urlpatterns: list[URLPattern] = [
    path("", views.inbox, name="inbox"),
    path("unread-count/", views.unread_count, name="unread_count"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<int:notification_id>/read/", views.mark_read, name="mark_read"),
    path("<int:notification_id>/open/", views.open_notification, name="open"),
    path("preferences/", views.preferences, name="preferences"),
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:webhook_id>/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:webhook_id>/toggle/", views.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:webhook_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:webhook_id>/test/", views.webhook_test, name="webhook_test"),
]
