"""/customers/: each area of the app keeps its own url patterns beside its views."""

from hotline.customers.views import blacklist, care, customers, imports, membership, phonebook

app_name = "customers"

urlpatterns = [
    *imports.urlpatterns,
    *blacklist.urlpatterns,
    *care.urlpatterns,
    *phonebook.urlpatterns,
    *membership.urlpatterns,
    *customers.urlpatterns,
]
