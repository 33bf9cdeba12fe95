from django.apps import AppConfig


class SmartbankConfig(AppConfig):
    name = "smartbank"
    verbose_name = "SmartBank"
