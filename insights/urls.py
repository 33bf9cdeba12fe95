"""Web pages; included by smartbank.urls."""

app_name = "insights-web"
urlpatterns: list = []
