"""``<entity>/`` (list) and ``<entity>/<id>/`` (retrieve) for every entity of the read API.

Identifiers use the ``path`` converter: clients' external ids and tag names may contain
slashes. Website traffic is retrieved by its ISO date.
"""

from django.urls import path, re_path

from chats.api.read_views import READ_VIEWS

LIST = {"get": "list"}
RETRIEVE = {"get": "retrieve"}


def _detail_route(segment: str, view):
    if view.lookup_field == "date":
        return re_path(
            rf"^{segment}/(?P<date>\d{{4}}-\d{{2}}-\d{{2}})/$", view.as_view(RETRIEVE), name=f"api_{segment}_detail"
        )
    return path(f"{segment}/<path:{view.lookup_field}>/", view.as_view(RETRIEVE), name=f"api_{segment}_detail")


urlpatterns = []
for _segment, _view in READ_VIEWS.items():
    urlpatterns += [
        path(f"{_segment}/", _view.as_view(LIST), name=f"api_{_segment}_list"),
        _detail_route(_segment, _view),
    ]
