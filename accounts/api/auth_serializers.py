"""Input and output shapes of the auth API and users/me."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction as db_transaction
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import (
    PasswordField,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User, validate_time_zone
from smartbank.api_fields import CurrencyField

# Long enough for any passphrase, short enough that hashing it costs nothing unusual.
PASSWORD_MAX_LENGTH = 256


class UserSerializer(serializers.ModelSerializer):
    """The signed-in user's profile. Role, KYC status, id and join date are read-only."""

    # Declared rather than derived from the model so no case-sensitive UniqueValidator is
    # added: user_update owns the rule that emails are unique whatever their case.
    email = serializers.EmailField(max_length=254)
    base_currency = CurrencyField(help_text="ISO 4217 code, e.g. EUR; lower case is accepted.")

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "full_name",
            "phone",
            "role",
            "kyc_status",
            "base_currency",
            "time_zone",
            "locale",
            "date_joined",
        )
        read_only_fields = ("id", "role", "kyc_status", "date_joined")


class SignupSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        help_text="Checked by the password validators (at least 10 characters, not common).",
    )
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    base_currency = CurrencyField(
        required=False, help_text="ISO 4217 code; defaults to the bank's base currency."
    )
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        validators=[validate_time_zone],
        help_text="IANA time zone, e.g. Europe/London; defaults to UTC.",
    )
    locale = serializers.CharField(max_length=16, required=False, help_text="Defaults to en-us.")


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class SignupResponseSerializer(serializers.Serializer):
    user = UserSerializer(read_only=True)
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class LoginSerializer(TokenObtainPairSerializer):
    """Email and password for a token pair. The email matches whatever its case.

    A wrong password, an unknown email and an inactive account all get the same 401, so a
    caller cannot tell which emails have accounts.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Passwords are stored untrimmed at signup, so they must be compared untrimmed.
        self.fields["password"] = PasswordField(
            trim_whitespace=False, max_length=PASSWORD_MAX_LENGTH
        )


class RefreshSerializer(TokenRefreshSerializer):
    """A refresh token for a new pair; the token given is blacklisted (rotation).

    The token's outstanding row is locked while it is checked and blacklisted, so two
    requests racing with one refresh token cannot both get a new pair.
    """

    refresh = serializers.CharField(write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        with db_transaction.atomic():
            token = self.token_class(attrs["refresh"])
            jti = token[jwt_settings.JTI_CLAIM]
            outstanding = OutstandingToken.objects.select_for_update().filter(jti=jti).first()
            if (
                outstanding is not None
                and BlacklistedToken.objects.filter(token=outstanding).exists()
            ):
                raise TokenError("Token is blacklisted")
            try:
                return super().validate(attrs)
            except get_user_model().DoesNotExist:
                raise AuthenticationFailed(
                    self.error_messages["no_active_account"], "no_active_account"
                ) from None


class LogoutSerializer(serializers.Serializer):
    """The refresh token to blacklist; it must be the signed-in user's own."""

    refresh = serializers.CharField(write_only=True)

    def validate_refresh(self, value: str) -> RefreshToken:
        try:
            token = RefreshToken(value)
        except TokenError as exc:
            raise serializers.ValidationError(str(exc)) from None
        owner_id = token.payload.get(jwt_settings.USER_ID_CLAIM)
        user = self.context["request"].user
        if str(owner_id) != str(getattr(user, jwt_settings.USER_ID_FIELD)):
            raise serializers.ValidationError("This refresh token belongs to another user.")
        return token
