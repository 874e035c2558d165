from accounts.models import Membership


def organizations(request):
    """The current organization and the user's others, for the navigation's switcher.

    ``current_organization`` is set on organization pages only. ``nav_organization`` is what the
    navigation shows: the current organization, or on pages outside one (password change, the
    chooser) the one the user was last in, or their only one.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(
        Membership.unscoped.filter(user=user).select_related("organization").order_by("organization__name")
    )
    current = getattr(request, "organization", None)
    nav = current
    if nav is None:
        last = request.session.get("last_org")
        nav = next((m.organization for m in memberships if m.organization.slug == last), None)
        if nav is None and len(memberships) == 1:
            nav = memberships[0].organization
    return {
        "current_organization": current,
        "current_membership": getattr(request, "membership", None),
        "nav_organization": nav,
        "user_memberships": memberships,
    }
