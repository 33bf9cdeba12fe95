"""Web pages; included by smartbank.urls."""

from django.urls import path

from alerts import views

app_name = "alerts-web"
urlpatterns = [
    path("", views.AlertListView.as_view(), name="list"),
    path("preferences/", views.AlertPreferencesView.as_view(), name="preferences"),
    path("read-all/", views.AlertReadAllView.as_view(), name="read-all"),
    path("<int:pk>/read/", views.AlertReadView.as_view(), name="read"),
    path("<int:pk>/dismiss/", views.AlertDismissView.as_view(), name="dismiss"),
    path("<int:pk>/delete/", views.AlertDeleteView.as_view(), name="delete"),
]
