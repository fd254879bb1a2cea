from hotline.catalog.views import urlpatterns as _patterns

app_name = "catalog"
urlpatterns = _patterns
