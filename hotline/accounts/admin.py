"""The Django administration site (/django-admin/) for staff users; the
management pages under /manage/ are the everyday way to administer."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from hotline.accounts.models import ApiToken, AuditEvent, Department, Role, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "department", "team", "is_active", "last_login")
    list_filter = ("is_active", "roles", "department")
    search_fields = ("username", "full_name", "email", "extension")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Hotline"),
            {"fields": ("full_name", "department", "team", "roles", "language", "extension")},
        ),
    )
    filter_horizontal = ("roles",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "head", "path")
    readonly_fields = ("path",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "department", "lead")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "data_scope")
    filter_horizontal = ("permissions",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "key_id", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_id", "key_hash", "last_used_at")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "username", "remote_addr", "object_repr")
    list_filter = ("action",)
    search_fields = ("username", "object_repr")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
