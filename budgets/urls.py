"""Web pages; included by smartbank.urls."""

app_name = "budgets-web"
urlpatterns: list = []
