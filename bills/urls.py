"""Web pages; included by smartbank.urls."""

app_name = "bills-web"
urlpatterns: list = []
