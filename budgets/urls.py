"""Web pages; included by smartbank.urls."""

from django.urls import path

from budgets import views

app_name = "budgets-web"
urlpatterns = [
    path("", views.BudgetListView.as_view(), name="list"),
    path("new/", views.BudgetFormView.as_view(), name="create"),
    path("copy/", views.BudgetsCopyView.as_view(), name="copy"),
    path("<int:pk>/edit/", views.BudgetFormView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.BudgetDeleteView.as_view(), name="delete"),
]
