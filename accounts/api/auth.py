# Placeholder until the auth API lands (signup, login, refresh, logout, users/me).
from rest_framework.views import APIView


class MeView(APIView):
    pass
