from alerts.models import Alert, AlertSubscription, Notification
from smartbank.testing import database_snapshot


def snapshot() -> dict[str, list[tuple]]:
    """database_snapshot() plus the alerts tables, which it does not cover."""
    result = database_snapshot()
    for model in (Alert, AlertSubscription, Notification):
        fields = [f.attname for f in model._meta.concrete_fields]
        result[model._meta.label] = list(model.objects.order_by("pk").values_list(*fields))
    return result
