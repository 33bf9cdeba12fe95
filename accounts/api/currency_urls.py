"""URL routes; included by smartbank.api_router."""

urlpatterns: list = []
