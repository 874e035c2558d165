from accounts.models import Membership

SETTINGS_CAPABILITIES = ("configure", "manage_members", "manage_api_keys")


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
    nav_membership = getattr(request, "membership", None) or next(
        (m for m in memberships if nav is not None and m.organization_id == nav.pk), None)
    return {
        # Owners and admins (whoever configures, manages members or keys) get the settings link.
        "nav_can_settings": nav_membership is not None and any(
            nav_membership.can(c) for c in SETTINGS_CAPABILITIES),
        "current_organization": current,
        "current_membership": getattr(request, "membership", None),
        "nav_organization": nav,
        "user_memberships": memberships,
    }
