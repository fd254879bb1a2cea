"""/orders/: each area keeps its url patterns beside its views."""

from hotline.orders.views import entry, orders

app_name = "orders"

urlpatterns = [*entry.urlpatterns, *orders.urlpatterns]
