from hotline.core.events import Audience, Event

VIEW_CUSTOMER = "customers.view_customer"
VIEW_BLACKLIST = "customers.view_blacklistentry"


class CustomerEvent(Event):
    permissions = (VIEW_CUSTOMER,)

    customer_id: int
    name: str
    owner_id: int | None

    def audience(self) -> Audience:
        return Audience.scoped_to_owner_id(VIEW_CUSTOMER, self.owner_id)


class CustomerCreated(CustomerEvent):
    type = "customers.created"


class CustomerUpdated(CustomerEvent):
    type = "customers.updated"
    changed: list[str]


class CustomerMerged(CustomerEvent):
    """``merged_id`` was merged into ``customer_id``."""

    type = "customers.merged"
    merged_id: int


class BlacklistChanged(Event):
    type = "customers.blacklist_changed"
    permissions = (VIEW_BLACKLIST,)

    number: str
    active: bool
    reports: int

    def audience(self) -> Audience:
        return Audience.holders_of(VIEW_BLACKLIST)
