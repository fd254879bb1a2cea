from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
    path("customers/", include("hotline.customers.urls")),
    path("catalog/", include("hotline.catalog.urls")),
    path("inventory/", include("hotline.inventory.urls")),
    path("orders/", include("hotline.orders.urls")),
    path("telephony/", include("hotline.telephony.urls")),
    path("callbacks/", include("hotline.callbacks.urls")),
    path("", include("hotline.web.urls")),
]

handler403 = "hotline.web.views.errors.forbidden"
handler404 = "hotline.web.views.errors.not_found"
