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
