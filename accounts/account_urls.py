"""Web pages; included by smartbank.urls."""

app_name = "accounts-web"
urlpatterns: list = []
