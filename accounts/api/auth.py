"""The auth API (signup, login, refresh, logout) and the signed-in user's profile (users/me).

Signup, login and refresh are anonymous: AllowAny and no authentication classes, so a
stale Authorization header sent along cannot turn them into a 401. Login and signup are
throttled per client IP and per email (AUTH_THROTTLE_RATE).
"""

from django.db import transaction as db_transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.api.auth_serializers import (
    LoginSerializer,
    LogoutSerializer,
    RefreshSerializer,
    SignupResponseSerializer,
    SignupSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.api.throttles import AuthEmailThrottle, AuthIPThrottle
from accounts.services import user_signup, user_update
from smartbank.schema import ErrorDetailSerializer

AUTH_TAG = "auth"
_THROTTLED = OpenApiResponse(
    ErrorDetailSerializer, description="Too many attempts from this address or for this email."
)


class SignupView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthIPThrottle, AuthEmailThrottle]

    @extend_schema(
        tags=[AUTH_TAG],
        operation_id="auth_signup",
        summary="Create a customer account",
        description=(
            "Creates a customer (never staff, never KYC-verified: `role` and `kyc_status` in "
            "the body are ignored) and returns the user with a token pair, so a mobile client "
            "is signed in at once. The email is unique whatever its case."
        ),
        request=SignupSerializer,
        responses={201: SignupResponseSerializer, 429: _THROTTLED},
        auth=[],
    )
    def post(self, request):
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with db_transaction.atomic():
            user = user_signup(**serializer.validated_data)
            refresh = RefreshToken.for_user(user)
        body = {
            "user": UserSerializer(user).data,
            "access": str(refresh.access_token),
            "refresh": str(refresh),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(TokenObtainPairView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthIPThrottle, AuthEmailThrottle]
    serializer_class = LoginSerializer

    @extend_schema(
        tags=[AUTH_TAG],
        operation_id="auth_login",
        summary="Exchange email and password for a token pair",
        description=(
            "The email matches whatever its case. A wrong password, an unknown email and an "
            "inactive account all answer the same 401. Send the access token as "
            "`Authorization: Bearer <access>`."
        ),
        request=LoginSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(ErrorDetailSerializer, description="Wrong email or password."),
            429: _THROTTLED,
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class RefreshView(TokenRefreshView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = RefreshSerializer

    @extend_schema(
        tags=[AUTH_TAG],
        operation_id="auth_refresh",
        summary="Rotate a refresh token",
        description=(
            "Returns a new access token and a new refresh token. The refresh token sent is "
            "blacklisted: sending it again answers 401."
        ),
        request=RefreshSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(
                ErrorDetailSerializer,
                description="The token is malformed, expired, blacklisted or its user inactive.",
            ),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    @extend_schema(
        tags=[AUTH_TAG],
        operation_id="auth_logout",
        summary="Blacklist a refresh token",
        description=(
            "Blacklists the caller's own refresh token; refreshing with it afterwards answers "
            "401. A malformed, expired or already blacklisted token, or another user's token, "
            "is a 400 on the `refresh` field. Access tokens stay valid until they expire."
        ),
        request=LogoutSerializer,
        responses={205: OpenApiResponse(description="Logged out; the body is empty.")},
    )
    def post(self, request):
        serializer = LogoutSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.validated_data["refresh"].blacklist()
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeView(APIView):
    """The signed-in user's profile. PUT is not offered (405): use PATCH."""

    @extend_schema(
        tags=["users"],
        operation_id="users_me_retrieve",
        summary="The signed-in user",
        responses={200: UserSerializer},
    )
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        tags=["users"],
        operation_id="users_me_partial_update",
        summary="Change the signed-in user's profile",
        description=(
            "Changes any of email, full_name, phone, base_currency, time_zone, locale. "
            "`id`, `role`, `kyc_status` and `date_joined` are read-only: sending them changes "
            "nothing. The email stays unique whatever its case. PUT is not supported (405)."
        ),
        request=UserSerializer,
        responses={200: UserSerializer},
    )
    def patch(self, request):
        serializer = UserSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_update(user=request.user, actor=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)
