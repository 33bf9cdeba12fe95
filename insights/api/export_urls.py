"""URL routes of /api/v1/exports/; included by smartbank.api_router."""

from rest_framework.routers import SimpleRouter

from insights.api.export_views import ExportViewSet

# exports/csv/ and exports/pdf/ come before exports/{pk}/ (SimpleRouter puts list-level
# actions first), so neither is read as an id.
router = SimpleRouter()
router.register("exports", ExportViewSet, basename="export")

urlpatterns = router.urls
