from django.conf import settings
from django.utils import translation


class ChosenLanguageMiddleware:
    """Polish unless the user picked another language with the switch: the browser's Accept-Language is ignored,
    because a clinic's staff share computers set up in any language and the manual's labels are Polish."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        # Only for this request: a language left active would leak into whatever the thread runs next.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
