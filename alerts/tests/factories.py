import factory

from accounts.tests.factories import UserFactory
from alerts.models import Alert, AlertSubscription, AlertType, Notification, Severity


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    user = factory.SubFactory(UserFactory)
    alert_type = AlertType.LARGE_TRANSACTION
    severity = Severity.WARNING
    title = factory.Sequence(lambda n: f"Alert {n}")
    message = "Something happened."
    key = factory.Sequence(lambda n: f"test:{n}")


class AlertSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertSubscription
        django_get_or_create = ("user", "alert_type")

    user = factory.SubFactory(UserFactory)
    alert_type = AlertType.LOW_BALANCE


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    channel = "email"
    key = factory.Sequence(lambda n: f"test-notification:{n}")
    recipient = factory.SelfAttribute("user.email")
    subject = "Hello"
    body_text = "Hello in text"
    body_html = "<p>Hello in HTML</p>"
