# Placeholder until the bank accounts API lands.
from rest_framework import viewsets


class BankAccountViewSet(viewsets.GenericViewSet):
    pass
