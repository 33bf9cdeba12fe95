"""The customer's web pages for their login and profile: thin views over accounts.services."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.views.generic import FormView

from accounts.web_forms import ProfileForm, SignupForm


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


class SignupView(FormView):
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
