"""/callbacks/: each area keeps its url patterns beside its views."""

from hotline.callbacks.views import callbacks, pending, rules

app_name = "callbacks"

urlpatterns = [*rules.urlpatterns, *pending.urlpatterns, *callbacks.urlpatterns]
