"""``/invitations/<token>/``: outside ``/o/<slug>/`` because the invitee is not a member yet."""

from django.urls import path

from accounts import invitation_views as views

urlpatterns = [
    path("<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
]
