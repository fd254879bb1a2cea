"""/inventory/: each area keeps its url patterns beside its views."""

from hotline.inventory.views import purchasing, stock, stocktakes

app_name = "inventory"

urlpatterns = [*purchasing.urlpatterns, *stocktakes.urlpatterns, *stock.urlpatterns]
