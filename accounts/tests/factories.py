import datetime
from decimal import Decimal

import factory

from accounts.models import AuditLog, BankAccount, ExchangeRate, User
from accounts.services import user_set_role

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    full_name = factory.Faker("name")
    phone = "+44 20 7946 0000"
    base_currency = "EUR"
    time_zone = "Europe/London"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def staff_role(obj, create, extracted, **kwargs):
        obj.save()
        if extracted:
            user_set_role(user=obj, role=extracted, actor=None)


class BankAccountFactory(factory.django.DjangoModelFactory):
    """An account whose balance equals its opening balance, as the ledger requires."""

    class Meta:
        model = BankAccount

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Everyday {n}")
    bank_name = "Example Bank"
    account_type = BankAccount.Type.CHECKING
    number_last4 = "4444"
    currency = "EUR"
    opening_balance = Decimal("1000.00")
    opening_date = datetime.date(2025, 1, 1)
    balance = factory.SelfAttribute("opening_balance")


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate
        django_get_or_create = ("base", "quote", "day")

    day = datetime.date(2025, 1, 2)
    base = "EUR"
    quote = "USD"
    rate = Decimal("1.0350")
    source = ExchangeRate.Source.ECB


class AuditLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditLog

    actor = factory.SubFactory(UserFactory)
    actor_email = factory.SelfAttribute("actor.email")
    action = "user.update"
    target_type = "accounts.user"
    target_id = "1"
