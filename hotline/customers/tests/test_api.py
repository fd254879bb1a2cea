"""/api/customers/: search, create, read, change, phones, contacts, merge,
saved searches, levels and points; data scope is 404 everywhere."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from hotline.core.models import CustomField
from hotline.customers.models import Customer, MemberLevel
from hotline.customers.tests.test_services import make_customer

API = "/api/customers"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent(org):
    return client_for(org.agent_a1)


@pytest.fixture
def lead(org):
    return client_for(org.lead_a)


def test_create_and_read(org, agent):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name="call_time",
        label="方便接听时间",
        field_type="choice",
        choices=["上午", "下午"],
    )
    payload = {
        "name": "陈静",
        "phones": ["138 0013 8000", "0755-26417308"],
        "addresses": [{"province": "广东省", "city": "深圳市", "detail": "科技园1号"}],
        "custom_fields": {"call_time": "上午"},
        "tags": ["VIP"],
        "gender": "f",
        "birthday": "1980-05-01",
    }
    response = agent.post(f"{API}/", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [p["number"] for p in body["phones"]] == ["+8613800138000", "+8675526417308"]
    assert body["phones"][0]["location"] == "北京市"
    assert body["owner"]["id"] == org.agent_a1.pk
    read = agent.get(f"{API}/{body['id']}").json()
    assert read["custom_fields"] == {"call_time": "上午"}
    assert read["addresses"][0]["city"] == "深圳市"
    assert read["tags"] == ["VIP"]
    assert read["value"]["purchase_count"] == 0 and read["points"] == 0


def test_create_refuses_bad_input(agent):
    response = agent.post(
        f"{API}/", {"name": "x", "phones": ["123"]}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "phones" in response.json()["error"]["details"]
    assert not Customer.objects.exists()
    response = agent.post(
        f"{API}/", {"name": "x", "colour": "red"}, content_type="application/json"
    )
    assert response.status_code == 422


def test_search_and_pagination(org, agent):
    make_customer(org.agent_a1, name="王伟", phones=["13800138000"])
    make_customer(org.agent_a1, name="王芳", phones=["13900139000"])
    make_customer(org.agent_c1, name="王强", phones=["13700137000"])
    body = agent.get(f"{API}/", {"q": "8001"}).json()
    assert [row["name"] for row in body["results"]] == ["王伟"]
    body = agent.get(f"{API}/", {"q": "王", "limit": 1}).json()
    assert body["count"] == 2 and len(body["results"]) == 1
    assert agent.get(f"{API}/", {"colour": "red"}).status_code == 422
    assert agent.get(f"{API}/", {"level": "abc"}).status_code == 422


def test_scope_is_404_everywhere(org, agent):
    other = make_customer(org.agent_c1, name="王强", phones=["13700137000"])
    mine = make_customer(org.agent_a1)
    assert agent.get(f"{API}/", {"q": "13700"}).json()["count"] == 0
    assert agent.get(f"{API}/{other.pk}").status_code == 404
    assert (
        agent.patch(f"{API}/{other.pk}", {"notes": "x"}, content_type="application/json")
    ).status_code == 404
    assert (
        agent.post(
            f"{API}/{other.pk}/phones", {"number": "13900139000"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        agent.post(
            f"{API}/{other.pk}/contacts",
            {"channel": "note", "summary": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert agent.get(f"{API}/{other.pk}/points").status_code == 404
    assert (
        client_for(org.lead_a)
        .post(f"{API}/{mine.pk}/merge", {"merged_id": other.pk}, content_type="application/json")
        .status_code
        == 404
    )


def test_patch_phones_and_contacts(org, agent):
    customer = make_customer(org.agent_a1)
    response = agent.patch(
        f"{API}/{customer.pk}",
        {"name": "王伟强", "low_credit": True},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["low_credit"] is True
    response = agent.post(
        f"{API}/{customer.pk}/phones", {"number": "020 8888 6666"}, content_type="application/json"
    )
    assert response.status_code == 201
    phone_id = response.json()["id"]
    assert agent.delete(f"{API}/{customer.pk}/phones/{phone_id}").status_code == 204
    response = agent.post(
        f"{API}/{customer.pk}/contacts",
        {"channel": "call_out", "summary": "回访"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert agent.get(f"{API}/{customer.pk}/contacts").json()[0]["summary"] == "回访"


def test_patch_owner_needs_permission(org, agent, lead):
    customer = make_customer(org.agent_a1)
    payload = {"owner_id": org.agent_a2.pk}
    assert (
        agent.patch(f"{API}/{customer.pk}", payload, content_type="application/json").status_code
        == 403
    )
    response = lead.patch(f"{API}/{customer.pk}", payload, content_type="application/json")
    assert response.status_code == 200 and response.json()["owner"]["id"] == org.agent_a2.pk


def test_merge(org, agent, lead):
    survivor = make_customer(org.agent_a1, phones=["13800138000"])
    merged = make_customer(org.agent_a1, phones=["13900139000"])
    payload = {"merged_id": merged.pk}
    response = agent.post(f"{API}/{survivor.pk}/merge", payload, content_type="application/json")
    assert response.status_code == 403
    response = lead.post(f"{API}/{survivor.pk}/merge", payload, content_type="application/json")
    assert response.status_code == 200
    assert len(response.json()["phones"]) == 2
    assert lead.get(f"{API}/{merged.pk}").status_code == 404


def test_saved_searches(org, agent):
    make_customer(org.agent_a1, name="王伟")
    response = agent.post(
        f"{API}/saved-searches",
        {"name": "王", "query": {"name": "王"}, "is_care_list": True, "suggested_action": "call"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    search_id = response.json()["id"]
    assert agent.get(f"{API}/saved-searches").json()[0]["mine"] is True
    assert agent.get(f"{API}/saved-searches/{search_id}/customers").json()["count"] == 1
    other = client_for(org.agent_a2)
    assert other.get(f"{API}/saved-searches/{search_id}").status_code == 404
    agent.patch(
        f"{API}/saved-searches/{search_id}", {"shared": True}, content_type="application/json"
    )
    assert other.get(f"{API}/saved-searches/{search_id}").json()["mine"] is False
    # shared searches run within the runner's scope and stay read-only to others
    assert other.get(f"{API}/saved-searches/{search_id}/customers").json()["count"] == 0
    response = other.patch(
        f"{API}/saved-searches/{search_id}", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert other.delete(f"{API}/saved-searches/{search_id}").status_code == 403
    response = agent.post(
        f"{API}/saved-searches",
        {"name": "bad", "query": {"colour": "red"}},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert agent.delete(f"{API}/saved-searches/{search_id}").status_code == 204


def test_levels(org, agent):
    admin = client_for(org.admin)
    payload = {"code": "gold", "name": "金卡", "min_spend": "5000", "discount_percent": "5"}
    assert agent.post(f"{API}/levels", payload, content_type="application/json").status_code == 403
    response = admin.post(f"{API}/levels", payload, content_type="application/json")
    assert response.status_code == 201
    level_id = response.json()["id"]
    response = admin.patch(
        f"{API}/levels/{level_id}", {"queue_priority": 3}, content_type="application/json"
    )
    assert response.json()["queue_priority"] == 3
    assert agent.get(f"{API}/levels").json()[0]["code"] == "gold"
    assert MemberLevel.objects.get().queue_priority == 3


def test_points(org, agent, lead):
    customer = make_customer(org.agent_a1)
    url = f"{API}/{customer.pk}/points"
    payload = {"delta": 50, "reason": "生日礼"}
    assert agent.post(url, payload, content_type="application/json").status_code == 403
    response = lead.post(url, payload, content_type="application/json")
    assert response.status_code == 201 and response.json()["balance"] == 50
    response = lead.post(url, {"delta": -60, "reason": "兑换"}, content_type="application/json")
    assert response.status_code == 409
    body = agent.get(url).json()
    assert body["balance"] == 50 and body["entries"][0]["delta"] == 50
