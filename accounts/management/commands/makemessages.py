"""``makemessages`` that also extracts strings marked with the ``_lazy`` alias.

Modules that need both ``gettext`` (a message built now) and ``gettext_lazy`` (a message at import
time) import the lazy one as ``_lazy``; xgettext only knows the keywords it is told, so without this
those messages never reached the catalogs and stayed English in every language."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
