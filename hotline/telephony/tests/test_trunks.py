"""SIP trunks and extensions' SIP passwords: the trunk model's address
checks, the services' rules, the pages (write-only passwords, errors shown
with nothing saved, 403 for agents) and the digest hashes of extensions."""

import hashlib
import json

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.models import ObjectChange
from hotline.telephony.models import Extension, SipTrunk
from hotline.telephony.services import config as services

CARRIER_PASSWORD = "carrier-Secret-81"
PHONE_PASSWORD = "phone-Secret-42"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def trunk_post(**changes) -> dict:
    data = {
        "name": "China Telecom",
        "active": "on",
        "inbound_addresses": "192.0.2.10, 198.51.100.0/24\n2001:db8::/32",
        "outbound_host": "sip.carrier.example",
        "outbound_port": "5080",
        "transport": "udp",
        "username": "hotline01",
        "password": CARRIER_PASSWORD,
        "caller_id": "4008001234",
        "max_channels": "30",
        "note": "",
    }
    return data | changes


def extension_post(**changes) -> dict:
    data = {"number": "6001", "kind": "sip", "recording": "always", "active": "on"}
    return data | changes


def ha1(hash_name: str, number: str, realm: str, password: str) -> str:
    return hashlib.new(hash_name, f"{number}:{realm}:{password}".encode()).hexdigest()


def logged_changes(model) -> str:
    rows = ObjectChange.objects.filter(content_type__model=model._meta.model_name)
    return json.dumps([row.changes for row in rows], ensure_ascii=False)


@pytest.fixture
def trunk(org):
    fields = trunk_post(active=True, outbound_port=5080, max_channels=30)
    return services.trunk_create(actor=org.admin, **fields)


# --- the model ------------------------------------------------------------


def test_allows_single_addresses_and_networks():
    trunk = SipTrunk(inbound_addresses="192.0.2.10, 198.51.100.0/24\n2001:db8::/32\n")
    assert [str(network) for network in trunk.networks()] == [
        "192.0.2.10/32",
        "198.51.100.0/24",
        "2001:db8::/32",
    ]
    assert trunk.allows("192.0.2.10")
    assert not trunk.allows("192.0.2.11")
    assert trunk.allows("198.51.100.0") and trunk.allows("198.51.100.255")
    assert not trunk.allows("198.51.101.1")
    assert trunk.allows("2001:db8:ffff::1") and trunk.allows("[2001:db8::5]")
    assert not trunk.allows("2001:db9::1")
    assert trunk.allows("::ffff:198.51.100.7")  # IPv4 seen on a dual-stack socket
    assert not trunk.allows("carrier.example") and not trunk.allows("")
    assert not SipTrunk(inbound_addresses="").allows("192.0.2.10")


def test_outbound_address_brackets_ipv6():
    assert SipTrunk(outbound_host="2001:db8::1", outbound_port=5061).outbound_address == (
        "[2001:db8::1]:5061"
    )
    assert SipTrunk(outbound_host="sip.example", outbound_port=5060).outbound_address == (
        "sip.example:5060"
    )
    assert SipTrunk(outbound_host="").outbound_address == ""


# --- trunk services -------------------------------------------------------


def test_trunk_services_refuse_agents_and_leads(org, trunk):
    for user in (org.agent_a1, org.lead_a):
        with pytest.raises(NotAllowed):
            services.trunk_create(actor=user, name="x", inbound_addresses="192.0.2.1")
        with pytest.raises(NotAllowed):
            services.trunk_update(actor=user, trunk=trunk, outbound_host="evil.example")
        with pytest.raises(NotAllowed):
            services.trunk_delete(actor=user, trunk=trunk)
    trunk.refresh_from_db()
    assert SipTrunk.objects.count() == 1 and trunk.outbound_host == "sip.carrier.example"


def test_trunk_create_normalises_addresses(org, trunk):
    assert trunk.inbound_addresses == "192.0.2.10/32\n198.51.100.0/24\n2001:db8::/32"
    assert trunk.password == CARRIER_PASSWORD
    again = services.trunk_create(
        actor=org.admin, name="dup", inbound_addresses="192.0.2.1 192.0.2.1/32"
    )
    assert again.inbound_addresses == "192.0.2.1/32"
    assert again.outbound_port == 5060 and again.transport == "udp" and again.max_channels == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"inbound_addresses": "", "outbound_host": ""}, "inbound_addresses", "or both"),
        ({"inbound_addresses": "192.0.2.300"}, "inbound_addresses", "not an IP address"),
        ({"inbound_addresses": "10.0.0.1/8"}, "inbound_addresses", "did you mean 10.0.0.0/8"),
        ({"inbound_addresses": "0.0.0.0/0"}, "inbound_addresses", "any address"),
        ({"outbound_host": "bad host!"}, "outbound_host", "host name or an IP"),
        ({"outbound_port": 0}, "outbound_port", "Between 1 and 65535"),
        ({"transport": "tls"}, "transport", "Choose one"),
        ({"caller_id": "hotline"}, "caller_id", "3 to 20 digits"),
        ({"username": "", "password": "only-a-password"}, "username", "need a user name"),
        ({"username": "a b", "password": "x"}, "username", "No spaces"),
        ({"username": "hotline01", "password": ""}, "password", "goes with the user name"),
        ({"max_channels": -1}, "max_channels", "Between 0 and"),
        ({"name": " "}, "name", "Required"),
    ],
)
def test_trunk_create_refuses_bad_input(org, fields, field, message):
    base = {
        "name": "ct",
        "inbound_addresses": "192.0.2.10",
        "outbound_host": "sip.carrier.example",
        "username": "",
        "password": "",
    }
    with pytest.raises(InvalidData) as caught:
        services.trunk_create(actor=org.admin, **(base | fields))
    assert message in " ".join(caught.value.details[field])
    assert not SipTrunk.objects.exists()


def test_trunk_update_keeps_password_unless_credentials_go(org, trunk):
    services.trunk_update(actor=org.admin, trunk=trunk, password="", max_channels=10)
    trunk.refresh_from_db()
    assert trunk.password == CARRIER_PASSWORD and trunk.max_channels == 10
    services.trunk_update(actor=org.admin, trunk=trunk, password="new-password-9")
    trunk.refresh_from_db()
    assert trunk.password == "new-password-9"
    services.trunk_update(actor=org.admin, trunk=trunk, username="", password="")
    trunk.refresh_from_db()
    assert trunk.username == "" and trunk.password == ""
    with pytest.raises(Conflict):
        services.trunk_create(actor=org.admin, name=trunk.name, inbound_addresses="192.0.2.1")


def test_the_change_log_leaves_the_trunk_password_out(org, trunk):
    services.trunk_update(actor=org.admin, trunk=trunk, password="new-password-9")
    log = logged_changes(SipTrunk)
    assert "hotline01" in log  # the log is there…
    assert CARRIER_PASSWORD not in log and "new-password-9" not in log  # …without passwords


# --- trunk pages ----------------------------------------------------------


def test_admin_creates_and_edits_a_trunk_through_the_pages(org):
    client = client_for(org.admin)
    assert client.get(reverse("telephony:trunk_create")).status_code == 200
    response = client.post(reverse("telephony:trunk_create"), trunk_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("telephony:trunk_list")
    trunk = SipTrunk.objects.get()
    assert trunk.password == CARRIER_PASSWORD and trunk.outbound_port == 5080
    assert trunk.allows("198.51.100.9")

    listing = client.get(reverse("telephony:trunk_list")).content.decode()
    row = listing.split('data-trunk="China Telecom"')[1].split("</tr>")[0]
    assert "198.51.100.0/24" in row and "2001:db8::/32" in row
    assert "sip.carrier.example:5080" in row and "UDP" in row
    assert CARRIER_PASSWORD not in listing

    edit_url = reverse("telephony:trunk_edit", args=[trunk.pk])
    edit = client.get(edit_url).content.decode()
    assert 'name="password"' in edit and CARRIER_PASSWORD not in edit
    assert "hotline01" in edit  # the other fields are filled in

    response = client.post(edit_url, trunk_post(password="", outbound_port="5060", active=""))
    assert response.status_code == 302
    trunk.refresh_from_db()
    assert trunk.password == CARRIER_PASSWORD  # blank kept it
    assert trunk.outbound_port == 5060 and not trunk.active


def test_an_invalid_address_is_shown_and_nothing_saved(org, trunk):
    client = client_for(org.admin)
    response = client.post(
        reverse("telephony:trunk_create"),
        trunk_post(name="Unicom", inbound_addresses="192.0.2.300\n10.0.0.1/8"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "“192.0.2.300” is not an IP address or network (CIDR)." in html
    assert "did you mean 10.0.0.0/8?" in html
    assert CARRIER_PASSWORD not in html  # not even the one just typed
    assert list(SipTrunk.objects.values_list("name", flat=True)) == ["China Telecom"]

    response = client.post(
        reverse("telephony:trunk_edit", args=[trunk.pk]),
        trunk_post(inbound_addresses="carrier.example", password=""),
    )
    assert "“carrier.example” is not an IP address" in response.content.decode()
    trunk.refresh_from_db()
    assert trunk.inbound_addresses == "192.0.2.10/32\n198.51.100.0/24\n2001:db8::/32"


def test_admin_deletes_a_trunk_and_sees_the_menu_entry(org, trunk):
    client = client_for(org.admin)
    page = client.get(reverse("telephony:trunk_list")).content.decode()
    assert f'href="{reverse("telephony:trunk_list")}"' in page
    response = client.post(reverse("telephony:trunk_delete", args=[trunk.pk]), follow=True)
    assert "SIP trunk “China Telecom” was deleted." in response.content.decode()
    assert not SipTrunk.objects.exists()


def test_agents_are_refused_the_trunk_pages(org, trunk):
    client = client_for(org.agent_a1)
    for url in (
        reverse("telephony:trunk_list"),
        reverse("telephony:trunk_create"),
        reverse("telephony:trunk_edit", args=[trunk.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("telephony:trunk_create"), trunk_post(name="Mine"))
    assert response.status_code == 403
    response = client.post(
        reverse("telephony:trunk_edit", args=[trunk.pk]), trunk_post(outbound_host="evil.example")
    )
    assert response.status_code == 403
    # Without the view permission the trunk is not even found.
    response = client.post(reverse("telephony:trunk_delete", args=[trunk.pk]))
    assert response.status_code == 404
    page = client.get(reverse("telephony:queue_list")).content.decode()
    assert reverse("telephony:trunk_list") not in page  # no menu entry either
    trunk.refresh_from_db()
    assert SipTrunk.objects.count() == 1 and trunk.outbound_host == "sip.carrier.example"


# --- extensions' SIP passwords --------------------------------------------


REALM = "pbx.test"


@override_settings(TELEPHONY={**settings.TELEPHONY, "SIP_REALM": REALM})
def test_sip_password_is_hashed_and_never_shown(org):
    client = client_for(org.admin)
    response = client.post(
        reverse("telephony:extension_create"), extension_post(sip_password=PHONE_PASSWORD)
    )
    assert response.status_code == 302
    extension = Extension.objects.get()
    assert extension.sip_ha1_md5 == ha1("md5", "6001", REALM, PHONE_PASSWORD)
    assert extension.sip_ha1_sha256 == ha1("sha256", "6001", REALM, PHONE_PASSWORD)
    assert extension.has_sip_password

    listing = client.get(reverse("telephony:extension_list")).content.decode()
    assert 'data-sip-password="set"' in listing
    edit_url = reverse("telephony:extension_edit", args=[extension.pk])
    for page in (listing, client.get(edit_url).content.decode()):
        assert PHONE_PASSWORD not in page
        assert extension.sip_ha1_md5 not in page and extension.sip_ha1_sha256 not in page
    log = logged_changes(Extension)
    assert extension.sip_ha1_md5 not in log and extension.sip_ha1_sha256 not in log
    assert PHONE_PASSWORD not in log

    response = client.post(edit_url, extension_post(recording="never", sip_password=""))
    assert response.status_code == 302
    extension.refresh_from_db()
    assert extension.recording == "never"
    assert extension.sip_ha1_md5 == ha1("md5", "6001", REALM, PHONE_PASSWORD)  # blank kept it


def test_sip_password_is_required_for_sip_phones(org):
    client = client_for(org.admin)
    response = client.post(reverse("telephony:extension_create"), extension_post())
    assert response.status_code == 200
    assert "Required for a SIP phone." in response.content.decode()
    response = client.post(
        reverse("telephony:extension_create"), extension_post(sip_password="short")
    )
    assert "At least 8 characters." in response.content.decode()
    response = client.post(
        reverse("telephony:extension_create"),
        extension_post(kind="webrtc", sip_password=PHONE_PASSWORD),
    )
    assert "Only SIP phones have a SIP password." in response.content.decode()
    assert not Extension.objects.exists()
    response = client.post(reverse("telephony:extension_create"), extension_post(kind="webrtc"))
    assert response.status_code == 302
    listing = client.get(reverse("telephony:extension_list")).content.decode()
    assert 'data-sip-password="unset"' in listing


def test_a_new_number_or_kind_changes_the_sip_login(org):
    realm = settings.TELEPHONY["SIP_REALM"]
    extension = services.extension_save(
        actor=org.admin, number="6001", kind="sip", sip_password=PHONE_PASSWORD
    )
    # The number is hashed in: keeping the old hashes would lock the phone out.
    with pytest.raises(InvalidData) as caught:
        services.extension_save(actor=org.admin, extension=extension, number="6002", kind="sip")
    assert "give the password again" in caught.value.details["sip_password"][0]
    extension.refresh_from_db()
    assert extension.number == "6001"
    services.extension_save(
        actor=org.admin,
        extension=extension,
        number="6002",
        kind="sip",
        sip_password=PHONE_PASSWORD,
    )
    assert extension.sip_ha1_md5 == ha1("md5", "6002", realm, PHONE_PASSWORD)
    services.extension_save(actor=org.admin, extension=extension, number="6002", kind="webrtc")
    extension.refresh_from_db()
    assert not extension.has_sip_password
    assert extension.sip_ha1_md5 == "" and extension.sip_ha1_sha256 == ""


def test_set_sip_password_on_the_model():
    extension = Extension(number="6001")
    assert not extension.has_sip_password
    extension.set_sip_password("pa:ss wörd", "hotline")
    expected = hashlib.md5("6001:hotline:pa:ss wörd".encode()).hexdigest()
    assert extension.sip_ha1_md5 == expected
    assert extension.sip_ha1_sha256 == hashlib.sha256(b"6001:hotline:pa:ss w\xc3\xb6rd").hexdigest()
    assert extension.has_sip_password
