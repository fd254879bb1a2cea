"""What the default roles may do with the catalogue (merged into the role catalogue)."""

_VIEW = [
    "catalog.view_category",
    "catalog.view_product",
    "catalog.view_bundle",
    "catalog.view_pricelist",
]

GRANTS = {
    "agent": _VIEW,
    "lead": _VIEW,
    "department_head": _VIEW,
    "order_reviewer": _VIEW,
    "logistics": _VIEW,
    "finance": _VIEW,
    "warehouse": [
        *_VIEW,
        "catalog.add_product",
        "catalog.change_product",
        "catalog.add_category",
        "catalog.change_category",
    ],
    "admin": ["catalog.*"],
}
