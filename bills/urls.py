"""Web pages; included by smartbank.urls."""

from django.urls import path

from bills import views

app_name = "bills-web"
urlpatterns = [
    path("", views.BillListView.as_view(), name="list"),
    path("new/", views.BillFormView.as_view(), name="create"),
    path("<int:pk>/edit/", views.BillFormView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.BillDeleteView.as_view(), name="delete"),
    path("<int:pk>/pay/", views.BillPayView.as_view(), name="pay"),
    path("<int:pk>/autopay/", views.BillAutopayView.as_view(), name="autopay"),
    path("<int:pk>/send-reminder/", views.BillSendReminderView.as_view(), name="send-reminder"),
]
