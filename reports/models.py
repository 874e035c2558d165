from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import OrgScopedModel


class DirtyDay(OrgScopedModel):
    """An (organization, local day) whose snapshots are out of date.

    Every write path records the days it touched (reports.freshness.mark_dirty); the snapshot
    sweep rebuilds them and deletes the row only if it was not marked again meanwhile.
    """

    day = models.DateField(_("day"))
    marked_at = models.DateTimeField(_("marked"), auto_now=True)

    class Meta(OrgScopedModel.Meta):
        verbose_name = _("dirty day")
        verbose_name_plural = _("dirty days")
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="dirtyday_org_day_uniq")]

    def __str__(self):
        return f"{self.organization_id} {self.day}"
