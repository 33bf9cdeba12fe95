"""Web pages; included by smartbank.urls."""

from django.urls import path

from rewards import views

app_name = "rewards-web"
urlpatterns = [
    path("", views.RewardsOverviewView.as_view(), name="overview"),
]
