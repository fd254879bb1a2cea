"""What the default roles may do with customers (merged into the role catalogue)."""

_WORK_WITH_CUSTOMERS = [
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "customers.view_contactrecord",
    "customers.add_contactrecord",
    "customers.view_pointsentry",
    "customers.add_blacklistreport",
    "customers.view_blacklistentry",
    "customers.view_savedsearch",
    "customers.add_savedsearch",
    "customers.change_savedsearch",
    "customers.delete_savedsearch",
    "customers.view_phonebookentry",
    "customers.add_phonebookentry",
    "customers.change_phonebookentry",
    "customers.delete_phonebookentry",
    "customers.view_memberlevel",
    "customers.view_importjob",
]

_LEAD_EXTRAS = [
    "customers.export_customer",
    "customers.import_customer",
    "customers.add_importjob",
    "customers.merge_customer",
    "customers.assign_customer",
    "customers.add_pointsentry",
    "customers.view_blacklistreport",
    "customers.add_blacklistentry",
    "customers.change_blacklistentry",
]

GRANTS = {
    "agent": _WORK_WITH_CUSTOMERS,
    "lead": [*_WORK_WITH_CUSTOMERS, *_LEAD_EXTRAS],
    "department_head": [*_WORK_WITH_CUSTOMERS, *_LEAD_EXTRAS],
    "qa": ["customers.view_customer", "customers.view_contactrecord"],
    "order_reviewer": ["customers.view_customer", "customers.view_contactrecord"],
    "logistics": ["customers.view_customer"],
    "finance": ["customers.view_customer", "customers.view_pointsentry"],
    "admin": ["customers.*", "core.*"],
}
