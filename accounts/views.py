"""The customer's web pages for their login and profile: thin views over accounts.services."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.views.generic import FormView

from accounts.api.throttles import AuthEmailThrottle, AuthIPThrottle
from accounts.web_forms import ProfileForm, SignupForm

TOO_MANY_ATTEMPTS = "Too many attempts. Wait a minute, then try again."


class _FormAttempt:
    """A page's POST seen as the API's throttles see a request: the email under ``data``."""

    def __init__(self, request, email_field: str) -> None:
        self._request = request
        self.data = {"email": request.POST.get(email_field, "")}

    def __getattr__(self, name):
        return getattr(self._request, name)


class ThrottledFormMixin:
    """The API's login and signup limits (per client address and per email) on a page too,
    counted in the same cache buckets, so switching doors gives no fresh attempts."""

    email_field = "email"

    def post(self, request, *args, **kwargs):
        attempt = _FormAttempt(request, self.email_field)
        if not all(throttle.allow_request(attempt, self) for throttle in _throttles()):
            # Refused before the form is validated: validating a login form would try the
            # password, which is the very attempt being refused.
            form = self.get_form()
            form.cleaned_data = {}
            form._errors = {NON_FIELD_ERRORS: form.error_class([TOO_MANY_ATTEMPTS])}  # noqa: SLF001
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


def _throttles():
    return (AuthIPThrottle(), AuthEmailThrottle())


class LoginView(ThrottledFormMixin, auth_views.LoginView):
    email_field = "username"
    redirect_authenticated_user = True


def home(request):
    """Where "home" leads: the first page of the signed-in user's menu, else the login."""
    if not request.user.is_authenticated:
        return redirect("login")
    for name in ("dashboard", "insights-web:staff-dashboard", "settings"):
        try:
            target = reverse(name)
        except NoReverseMatch:
            continue
        if name == "dashboard" and request.user.role != "customer":
            continue
        if name == "insights-web:staff-dashboard" and request.user.role not in ("admin", "auditor"):
            continue
        return redirect(target)
    return redirect("settings")


class SignupView(ThrottledFormMixin, FormView):
    template_name = "accounts/signup.html"
    form_class = SignupForm
    success_url = reverse_lazy("home")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        login(self.request, form.saved_object, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, "Welcome to SmartBank. Add your first account to begin.")
        return super().form_valid(form)


class SettingsView(LoginRequiredMixin, FormView):
    template_name = "accounts/settings.html"
    form_class = ProfileForm
    success_url = reverse_lazy("settings")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        messages.success(self.request, "Your settings are saved.")
        return super().form_valid(form)
