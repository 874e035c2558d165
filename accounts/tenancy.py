"""Tenant scoping that cannot be forgotten.

Every tenant model inherits :class:`OrgScopedModel`. Its ``objects`` manager is fail-closed:
any query that does not start with ``.for_org(organization)`` raises
:class:`MissingOrganizationError`. Cross-organization access (admin, migrations, sweeps) goes
through the loudly named ``unscoped`` manager, which is also what Django itself uses internally
(``Meta.default_manager_name``), so related-object access and the admin keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from accounts.models import Organization


class MissingOrganizationError(RuntimeError):
    """A tenant query was made without naming the organization."""


def organization_id_of(organization: Organization | int) -> int:
    org_id = getattr(organization, "pk", organization)
    if not isinstance(org_id, int) or isinstance(org_id, bool):
        raise MissingOrganizationError(f"expected an Organization or its id, got {organization!r}")
    return org_id


class OrgQuerySet(models.QuerySet):
    """A queryset already filtered to one organization; writes through it stay there."""

    _organization_id: int | None = None

    def _clone(self):
        clone = super()._clone()
        clone._organization_id = self._organization_id
        return clone

    def create(self, **kwargs):
        if self._organization_id is not None:
            given = kwargs.get("organization_id", getattr(kwargs.get("organization"), "pk", None))
            if given is not None and given != self._organization_id:
                raise MissingOrganizationError("create() names another organization")
            if "organization" not in kwargs:
                kwargs["organization_id"] = self._organization_id
        return super().create(**kwargs)


class OrgScopedManager(models.Manager.from_queryset(OrgQuerySet)):
    """Fail-closed manager: ``Model.objects.for_org(org)`` or nothing."""

    def get_queryset(self):
        raise MissingOrganizationError(
            f"{self.model.__name__}.objects needs an organization: use "
            f"{self.model.__name__}.objects.for_org(organization), or "
            f"{self.model.__name__}.unscoped for deliberate cross-organization access"
        )

    def for_org(self, organization: Organization | int) -> OrgQuerySet:
        org_id = organization_id_of(organization)
        qs = OrgQuerySet(model=self.model, using=self._db, hints=self._hints).filter(
            organization_id=org_id
        )
        qs._organization_id = org_id
        return qs


class UnscopedManager(models.Manager):
    """Cross-organization access. Only admin, migrations, sweeps and test factories use it."""


class OrgScopedModel(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )

    unscoped = UnscopedManager()
    objects = OrgScopedManager()

    class Meta:
        abstract = True
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
