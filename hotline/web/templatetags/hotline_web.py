"""Template helpers of the web UI."""

from django import template

register = template.Library()


@register.filter
def model_label(content_type) -> str:
    """The verbose name of the model behind a ContentType."""
    model = content_type.model_class() if content_type is not None else None
    return str(model._meta.verbose_name) if model else getattr(content_type, "model", "")


@register.filter
def widget_type(bound_field) -> str:
    """``checkboxinput``, ``checkboxselectmultiple``, ``select`` … for the field template."""
    return bound_field.field.widget.__class__.__name__.lower()
