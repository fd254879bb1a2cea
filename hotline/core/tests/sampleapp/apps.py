from django.apps import AppConfig


class SampleAppConfig(AppConfig):
    """A small owned model, installed only by the test settings, on which the
    suite proves data scope, custom fields, change log and event delivery."""

    name = "hotline.core.tests.sampleapp"
    label = "sampleapp"
