"""/orders/: each area keeps its url patterns beside its views."""

from hotline.orders.views import entry, logistics, orders

app_name = "orders"

urlpatterns = [*entry.urlpatterns, *logistics.urlpatterns, *orders.urlpatterns]
