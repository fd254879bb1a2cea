from django.contrib import admin

from hotline.core.models import CustomField, ObjectChange


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ("name", "label", "content_type", "field_type", "required", "searchable")
    list_filter = ("content_type", "field_type")
    filter_horizontal = ("editable_by_roles",)


@admin.register(ObjectChange)
class ObjectChangeAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "content_type", "object_repr")
    list_filter = ("action", "content_type")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
