from django.conf import settings
from django.db import models

from hotline.core.models import ChangeLoggedModel, CustomFieldsModel
from hotline.core.querysets import RestrictedManager


class SampleRecord(ChangeLoggedModel, CustomFieldsModel):
    title = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = RestrictedManager()
    scope_owner_field = "owner"

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.title
