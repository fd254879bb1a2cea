"""/api/customers/: one router assembled from the sub-domain routers."""

from ninja import Router

from hotline.customers.api import blacklist, customers, imports, membership, screen_pop

router = Router(tags=["customers"])
router.add_router("", screen_pop.router)
router.add_router("", blacklist.router)
router.add_router("", imports.router)
router.add_router("", membership.router)
router.add_router("", customers.router)
