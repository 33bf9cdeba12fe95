"""Web pages; included by smartbank.urls."""

app_name = "alerts-web"
urlpatterns: list = []
