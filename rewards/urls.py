"""Web pages; included by smartbank.urls."""

app_name = "rewards-web"
urlpatterns: list = []
