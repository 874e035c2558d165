from accounts.models import Membership


def organizations(request):
    """The current organization and the user's others, for the navigation's switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(
        Membership.unscoped.filter(user=user).select_related("organization").order_by("organization__name")
    )
    return {
        "current_organization": getattr(request, "organization", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": memberships,
    }
