"""What the B2BUA knows of the configuration: extensions with their digest
hashes, trunks with the addresses they call from, and the dialled numbers
that lead to a flow. Read from the database on the engine's thread and handed
to the SIP loop as one immutable snapshot; phones' registrations live beside
it on the loop.
"""

import ipaddress
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExtensionEntry:
    number: str
    kind: str  # sip, webrtc, sim
    ha1_md5: str = ""
    ha1_sha256: str = ""

    def ha1(self, algorithm: str) -> str:
        return self.ha1_sha256 if algorithm.upper() == "SHA-256" else self.ha1_md5


@dataclass(frozen=True)
class TrunkEntry:
    name: str
    networks: tuple = ()
    outbound_host: str = ""
    outbound_port: int = 5060
    transport: str = "UDP"
    username: str = ""
    password: str = ""
    caller_id: str = ""
    max_channels: int = 0  # simultaneous calls through the trunk; 0: no limit

    def allows(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class Directory:
    extensions: dict[str, ExtensionEntry] = field(default_factory=dict)
    trunks: tuple[TrunkEntry, ...] = ()
    numbers: frozenset[str] = frozenset()

    def trunk_from(self, host: str) -> TrunkEntry | None:
        return next((trunk for trunk in self.trunks if trunk.allows(host)), None)

    def outbound_trunk(self) -> TrunkEntry | None:
        return next((trunk for trunk in self.trunks if trunk.outbound_host), None)

    def dialled(self, user: str) -> str | None:
        """The dialled number a Request-URI user stands for, if any."""
        for candidate in (
            user,
            user.lstrip("+"),
            user.removeprefix("+86"),
            user.removeprefix("0086"),
        ):
            if candidate in self.numbers:
                return candidate
        return None


def load_directory() -> Directory:
    """The current configuration from the database."""
    from hotline.telephony.models import DialledNumber, Extension, SipTrunk

    extensions = {
        number: ExtensionEntry(number, kind, md5 or "", sha or "")
        for number, kind, md5, sha in Extension.objects.filter(active=True).values_list(
            "number", "kind", "sip_ha1_md5", "sip_ha1_sha256"
        )
    }
    trunks = tuple(
        TrunkEntry(
            name=trunk.name,
            networks=tuple(trunk.networks()),
            outbound_host=trunk.outbound_host,
            outbound_port=trunk.outbound_port or 5060,
            transport=(trunk.transport or "udp").upper(),
            username=trunk.username,
            password=trunk.password,
            caller_id=trunk.caller_id,
            max_channels=trunk.max_channels,
        )
        for trunk in SipTrunk.objects.filter(active=True).order_by("name")
    )
    numbers = frozenset(DialledNumber.objects.values_list("number", flat=True))
    return Directory(extensions=extensions, trunks=trunks, numbers=numbers)
