"""Web pages; included by smartbank.urls. The dashboard itself is routed in smartbank.urls
under the plain name "dashboard", which the menu and home() use."""

from django.urls import path

from insights import views

app_name = "insights-web"
urlpatterns = [
    path("reports/", views.ReportsView.as_view(), name="reports"),
    path("reports/csv/", views.CsvExportView.as_view(), name="reports-csv"),
    path("reports/statements/", views.StatementRequestView.as_view(), name="reports-statement"),
    path("staff/", views.StaffDashboardView.as_view(), name="staff-dashboard"),
]
