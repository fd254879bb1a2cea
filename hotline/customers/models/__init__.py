from hotline.customers.models.blacklist import BlacklistEntry, BlacklistReport, BlacklistWindow
from hotline.customers.models.customers import (
    AdSource,
    ContactRecord,
    Customer,
    CustomerAddress,
    CustomerGroup,
    CustomerPhone,
    CustomerTag,
)
from hotline.customers.models.imports import ImportJob, ImportMapping
from hotline.customers.models.membership import MemberLevel, PointsEntry
from hotline.customers.models.searches import PhonebookEntry, SavedSearch

__all__ = [
    "AdSource",
    "BlacklistEntry",
    "BlacklistReport",
    "BlacklistWindow",
    "ContactRecord",
    "Customer",
    "CustomerAddress",
    "CustomerGroup",
    "CustomerPhone",
    "CustomerTag",
    "ImportJob",
    "ImportMapping",
    "MemberLevel",
    "PhonebookEntry",
    "PointsEntry",
    "SavedSearch",
]
