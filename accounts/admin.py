"""Operators' admin for organizations, people and keys, and the base of every tenant admin."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Agent, ApiKey, AuditKind, Membership, Organization, Team, User
from accounts.services import api_key_create, api_key_revoke
from accounts.tenancy import OrgScopedModel

OTHER_ORGANIZATION = _("This belongs to another organization than the row (%(organization)s).")
NEW_API_KEY = _("The new key is shown only this once, copy it now: {key}")


class OrgAdminForm(forms.ModelForm):
    """Refuses a reference to another organization's row (raw-id fields accept any id)."""

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        if organization is None:
            return cleaned
        for name, value in list(cleaned.items()):
            if isinstance(value, OrgScopedModel) and value.organization_id != organization.pk:
                self.add_error(name, OTHER_ORGANIZATION % {"organization": organization})
        return cleaned


class AuditedInlinesMixin:
    """Rows added, changed or deleted through an admin page's inlines (memberships on the
    organization and user pages) get their audit rows, in the save's transaction."""

    def _organization_of(self, obj):
        return obj if isinstance(obj, Organization) else obj.organization

    def _audit(self, request, obj, kind, changes):
        from accounts.audit import audit_record

        audit_record(organization=self._organization_of(obj), actor=request.user, kind=kind, target=obj,
                     changes=changes)

    def save_formset(self, request, form, formset, change):
        from accounts.audit import field_changes

        concrete = {field.name for field in formset.model._meta.concrete_fields}
        changed_fields, before = {}, {}
        for inline_form in formset.initial_forms:
            obj = inline_form.instance
            if formset._should_delete_form(inline_form):
                self._audit(request, obj, AuditKind.ADMIN_DELETED, {})
            elif inline_form.has_changed():
                fields = [name for name in inline_form.changed_data if name in concrete]
                stored = formset.model._base_manager.filter(pk=obj.pk).first()
                changed_fields[obj.pk] = fields
                before[obj.pk] = {name: getattr(stored, name) for name in fields} if stored is not None else {}
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            fields = [name for name in concrete if name not in {"id", "created_at"}]
            self._audit(request, obj, AuditKind.ADMIN_CREATED,
                        field_changes({}, {name: getattr(obj, name) for name in fields}, fields))
        for obj, _names in formset.changed_objects:
            fields = changed_fields.get(obj.pk, [])
            if fields:
                self._audit(request, obj, AuditKind.ADMIN_CHANGED,
                            field_changes(before[obj.pk], {name: getattr(obj, name) for name in fields}, fields))


class AuditedAdminMixin(AuditedInlinesMixin):
    """Configuration changed in the operators' admin gets its audit row like a change made in the
    product (accounts.audit): who (the staff user), what, old → new, in the same transaction as
    the save or delete (the admin runs each in one), including the bulk delete action and the
    rows of its inlines."""

    def save_model(self, request, obj, form, change):
        from accounts.audit import field_changes

        fields = [f for f in form.changed_data if f in {field.name for field in obj._meta.concrete_fields}]
        before = {}
        if change:
            stored = type(obj)._base_manager.filter(pk=obj.pk).first()
            before = {f: getattr(stored, f) for f in fields} if stored is not None else {}
        super().save_model(request, obj, form, change)
        if change and not fields:
            return
        changes = field_changes(before, {f: getattr(obj, f) for f in fields}, fields)
        self._audit(request, obj, AuditKind.ADMIN_CHANGED if change else AuditKind.ADMIN_CREATED, changes)

    def delete_model(self, request, obj):
        if not isinstance(obj, Organization):  # its log goes with it
            self._audit(request, obj, AuditKind.ADMIN_DELETED, {})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            if not isinstance(obj, Organization):
                self._audit(request, obj, AuditKind.ADMIN_DELETED, {})
        super().delete_queryset(request, queryset)


class OrgAdmin(admin.ModelAdmin):
    """Operators' view across organizations: organization column and filter on every list."""

    form = OrgAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ["organization"]
    list_select_related = ["organization"]
    show_full_result_count = False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "organization", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Organization)
class OrganizationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "week_start", "created_at"]
    search_fields = ["name", "slug"]
    list_filter = ["timezone", "week_start"]
    date_hierarchy = "created_at"
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Day boundaries, the FCR window and the CSAT scale are baked into every snapshot.
        from reports.freshness import SNAPSHOT_SETTINGS, mark_all_days_dirty

        if change and any(field in form.changed_data for field in SNAPSHOT_SETTINGS):
            mark_all_days_dirty(organization=obj)


@admin.register(User)
class UserAdmin(AuditedInlinesMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "language", "is_staff", "is_active", "last_login", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "memberships__organization"]
    search_fields = ["email", "name"]
    date_hierarchy = "date_joined"
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, OrgAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    list_select_related = ["organization", "user"]
    search_fields = ["user__email", "user__name", "organization__slug", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, OrgAdmin):
    list_display = ["name", "external_id", "organization"]
    search_fields = ["name", "external_id"]


@admin.register(Agent)
class AgentAdmin(AuditedAdminMixin, OrgAdmin):
    list_display = ["name", "external_id", "email", "team", "active", "user", "organization"]
    list_filter = ["organization", "active"]
    list_select_related = ["organization", "team", "user"]
    search_fields = ["name", "external_id", "email"]
    raw_id_fields = ["team", "user"]


@admin.register(ApiKey)
class ApiKeyAdmin(OrgAdmin):
    """Keys are created through the service (the raw key is shown once); the hash never shows."""

    list_display = ["name", "prefix", "organization", "can_read", "can_write", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organization", "can_read", "can_write", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "organization__slug"]
    date_hierarchy = "created_at"
    fields = ["organization", "name", "can_read", "can_write", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A key's organization and scopes are fixed once it exists: revoke it and make another.
        if obj is not None:
            return [*self.readonly_fields, "organization", "can_read", "can_write"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = api_key_create(
            organization=obj.organization, name=obj.name, scopes=set(obj.scopes), created_by=request.user
        )
        obj.pk, obj.prefix, obj.key_hash, obj.created_by = key.pk, key.prefix, key.key_hash, key.created_by
        obj.created_at = key.created_at
        self.message_user(request, format_html(NEW_API_KEY, key=raw), messages.WARNING)

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        keys = list(queryset.select_related("organization"))
        for key in keys:
            api_key_revoke(organization=key.organization, key=key, actor=request.user)
        self.message_user(
            request, ngettext("Revoked %(n)d key.", "Revoked %(n)d keys.", len(keys)) % {"n": len(keys)}
        )
