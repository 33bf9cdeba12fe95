"""Web pages; included by smartbank.urls."""

app_name = "transactions-web"
urlpatterns: list = []
