"""The alerts admin: every page renders, nothing is edited, failed notifications resend."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import AuditLog
from accounts.roles import ROLE_GROUPS
from accounts.tests.test_admin import admin_url, change_url, client_logged_in
from alerts.models import Alert, AlertSubscription, Notification
from alerts.tests.factories import AlertFactory, AlertSubscriptionFactory, NotificationFactory

pytestmark = pytest.mark.django_db

MODELS = [Alert, AlertSubscription, Notification]


@pytest.fixture
def one_of_each(user):
    alert = AlertFactory(user=user)
    return {
        Alert: alert,
        AlertSubscription: AlertSubscriptionFactory(user=user, threshold="20.00"),
        Notification: NotificationFactory(
            user=user, alert=alert, status="failed", attempts=6, last_error="E" * 200
        ),
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_pages_render_and_are_read_only(admin_client, one_of_each, model):
    changelist = admin_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "example"}).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 403

    obj = one_of_each[model]
    page = admin_client.get(change_url(obj))
    assert page.status_code == 200
    assert not page.context["adminform"].form.fields  # every field read-only
    assert admin_client.post(change_url(obj), {}).status_code == 403
    assert admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403


def test_the_notification_list_shows_delivery(admin_client, one_of_each):
    response = admin_client.get(admin_url(Notification, "changelist"))
    content = response.content.decode()
    assert "Failed" in content and "E" * 79 + "…" in content


def test_changelists_do_not_grow_in_queries(admin_client, user, django_assert_max_num_queries):
    for _ in range(30):
        alert = AlertFactory(user=user)
        NotificationFactory(user=user, alert=alert)
    with django_assert_max_num_queries(12):
        assert admin_client.get(admin_url(Alert, "changelist")).status_code == 200
    with django_assert_max_num_queries(12):
        assert admin_client.get(admin_url(Notification, "changelist")).status_code == 200


def test_resend_failed_goes_through_the_service(
    admin_client, admin_user, one_of_each, django_capture_on_commit_callbacks
):
    failed = one_of_each[Notification]
    sent = NotificationFactory(user=failed.user, status="sent", attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            admin_url(Notification, "changelist"),
            {"action": "resend_failed", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "1 notification(s) queued to be sent again." in messages
    assert any("1 notification(s) not resent" in m for m in messages)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("sent", 1, "")
    assert Notification.objects.get(pk=sent.pk).attempts == 1
    assert AuditLog.objects.filter(action="notification.resend", actor=admin_user).count() == 1


@pytest.mark.parametrize("role", ["auditor", "support"])
def test_only_staff_who_may_change_can_resend(staff, one_of_each, role):
    member = staff[role]
    assert member.groups.filter(name=ROLE_GROUPS[role]).exists()
    client = client_logged_in(member)
    response = client.get(admin_url(Notification, "changelist"))
    if response.status_code == 200:  # auditors see the list, without the action
        action_form = response.context["action_form"]
        assert action_form is None or "resend_failed" not in dict(
            action_form.fields["action"].choices
        )
    else:
        assert response.status_code == 403
    response = client.post(
        admin_url(Notification, "changelist"),
        {"action": "resend_failed", "_selected_action": [one_of_each[Notification].pk]},
    )
    assert Notification.objects.get(pk=one_of_each[Notification].pk).status == "failed"
    assert (
        not Group.objects.get(name=ROLE_GROUPS[role])
        .permissions.filter(codename="change_notification")
        .exists()
    )
