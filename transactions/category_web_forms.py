"""The form of the categories pages.

The form only carries what the page sends to the services; every rule (a name's length, a
slug that clashes) is checked once, by the same services as the API
(transactions.services), and their errors are put back beside the field they name.
"""

from django import forms

from transactions.services import CATEGORY_NAME_MAX_LENGTH


class CategoryNameForm(forms.Form):
    """A category's name, to add one (its slug is made from the name) or to rename one."""

    # Not required and no max_length here: transactions.services.check_category_name says
    # what a name may be, for this page and the API alike. maxlength only helps the browser.
    name = forms.CharField(
        label="Name",
        required=False,
        widget=forms.TextInput(
            attrs={"maxlength": CATEGORY_NAME_MAX_LENGTH, "autocomplete": "off"}
        ),
    )
