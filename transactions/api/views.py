# Placeholder: filled in by the API work (transactions, transfer, categories).
from rest_framework import viewsets


class TransactionViewSet(viewsets.GenericViewSet):
    pass


class CategoryViewSet(viewsets.GenericViewSet):
    pass
