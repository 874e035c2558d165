"""A signed-in person's saved language (``User.language``) wins over the language cookie and the
browser's Accept-Language, so a choice made on one device or in the preferences page holds
everywhere and matches the e-mails they receive. Runs after LocaleMiddleware (which keeps handling
anonymous pages) and AuthenticationMiddleware."""

from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = user.language if user is not None and user.is_authenticated else ""
        if language and language != getattr(request, "LANGUAGE_CODE", None) and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
