"""SIP trunks: the carriers whose calls the `sip` driver accepts, recognised
by the addresses they send from, and the host outbound calls go to."""

import ipaddress
import re

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager

ADDRESS_SEPARATORS = re.compile(r"[\s,]+")

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def address_entries(text: str) -> list[str]:
    """The entries of an address list: one per line or comma separated."""
    return [entry for entry in ADDRESS_SEPARATORS.split(text or "") if entry]


class SipTrunk(ChangeLoggedModel):
    """A carrier connection. Only INVITEs from ``inbound_addresses`` count as
    the carrier's calls; outbound calls go to ``outbound_host`` (none: the
    trunk is inbound only), answering the carrier's digest challenge with
    ``username`` / ``password`` when it asks."""

    class Transport(models.TextChoices):
        UDP = "udp", "UDP"
        TCP = "tcp", "TCP"

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)
    inbound_addresses = models.TextField(
        _("inbound addresses"),
        blank=True,
        help_text=_(
            "The carrier's IPv4/IPv6 addresses or networks (CIDR), one per line or comma "
            "separated. Calls from other addresses are not taken as this carrier's."
        ),
    )
    outbound_host = models.CharField(
        _("outbound host"),
        max_length=253,
        blank=True,
        help_text=_("Host name or IP address outbound calls go to; empty: inbound only."),
    )
    outbound_port = models.PositiveIntegerField(
        _("outbound port"),
        default=5060,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )
    transport = models.CharField(
        _("transport"), max_length=3, choices=Transport.choices, default=Transport.UDP
    )
    username = models.CharField(
        _("user name"),
        max_length=100,
        blank=True,
        help_text=_("Only if the carrier asks outbound calls to authenticate."),
    )
    # Kept as typed: answering a digest challenge needs the password itself.
    # "password" is a name the change log leaves out.
    password = models.CharField(_("password"), max_length=128, blank=True)
    caller_id = models.CharField(
        _("caller ID"),
        max_length=21,
        blank=True,
        help_text=_("Number shown on outbound calls; empty: the agent's extension number."),
    )
    max_channels = models.PositiveIntegerField(
        _("maximum simultaneous calls"), default=0, help_text=_("0: no limit.")
    )
    note = models.TextField(_("note"), blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("SIP trunk")
        verbose_name_plural = _("SIP trunks")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def networks(self) -> list[IpNetwork]:
        """The inbound addresses as networks (a single address is a /32 or /128).
        Entries that do not parse are skipped; the services refuse to save them."""
        found = []
        for entry in address_entries(self.inbound_addresses):
            try:
                found.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                continue
        return found

    def allows(self, address: str) -> bool:
        """Whether a request from ``address`` comes from this carrier."""
        try:
            source = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        if isinstance(source, ipaddress.IPv6Address) and source.ipv4_mapped:
            source = source.ipv4_mapped
        return any(source in network for network in self.networks())

    @property
    def outbound_address(self) -> str:
        """``host:port``, an IPv6 host in brackets; empty for an inbound-only trunk."""
        if not self.outbound_host:
            return ""
        host = self.outbound_host
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.outbound_port}"

    @property
    def has_password(self) -> bool:
        return bool(self.password)
