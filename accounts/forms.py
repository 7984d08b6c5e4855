from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Kod z aplikacji uwierzytelniającej"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Kod składa się z 6 cyfr.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_token(self):
        return self.cleaned_data["token"].strip()
