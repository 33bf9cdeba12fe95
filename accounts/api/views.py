# Placeholder: filled in by the API work (bank accounts, users/me).
from rest_framework import viewsets
from rest_framework.views import APIView


class BankAccountViewSet(viewsets.GenericViewSet):
    pass


class MeView(APIView):
    pass
