"""Customer search (CUS-5): quick by part of a phone or a name, combined with
custom field criteria, saved searches; always within the data scope."""

import pytest
from django.contrib.contenttypes.models import ContentType

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.core.models import CustomField
from hotline.customers.forms import CustomerSearchForm, criteria_params, search_criteria
from hotline.customers.models import Customer
from hotline.customers.selectors.customers import PLAIN_CRITERIA, customer_search
from hotline.customers.selectors.searches import saved_searches_visible
from hotline.customers.services.searches import saved_search_delete, saved_search_save
from hotline.customers.tests.test_services import make_customer


def custom(name, field_type, **fields):
    return CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Customer),
        name=name,
        label=fields.pop("label", name),
        field_type=field_type,
        searchable=fields.pop("searchable", True),
        **fields,
    )


def names(actor, **criteria):
    return sorted(c.name for c in customer_search(actor=actor, criteria=criteria))


@pytest.fixture
def people(org):
    return {
        "wang": make_customer(org.agent_a1, name="王小明", phones=["13812345678"]),
        "ouyang": make_customer(org.agent_a1, name="欧阳娜娜", phones=["0755 2641 7308"]),
        "zhang": make_customer(org.agent_c1, name="张小明", phones=["13912345678"]),
    }


def test_quick_search_by_four_digits_of_a_phone(org, people):
    assert names(org.agent_a1, q="5678") == ["王小明"]
    assert names(org.agent_a1, q="2641") == ["欧阳娜娜"]
    assert names(org.agent_a1, q="0755-2641") == ["欧阳娜娜"]  # as typed, with the trunk 0
    assert names(org.agent_a1, q="+86 138") == ["王小明"]


def test_quick_search_by_part_of_a_chinese_name(org, people):
    assert names(org.agent_a1, q="小明") == ["王小明"]
    assert names(org.agent_a1, q="阳娜") == ["欧阳娜娜"]
    assert names(org.admin, q="小明") == ["张小明", "王小明"]


def test_scope_hides_other_agents_customers(org, people):
    assert names(org.agent_a1, q="12345678") == ["王小明"]
    assert names(org.agent_c1, q="小明") == ["张小明"]
    assert names(org.lead_a, q="小明") == ["王小明"]  # team a only


def test_combined_search_with_custom_fields(org, people):
    custom("budget", "number")
    custom("visit_on", "date")
    custom("hobbies", "multichoice", choices=["茶", "酒", "书"])
    custom("call_time", "choice", choices=["上午", "晚上"])
    custom("secret", "text", searchable=False)
    wang, ouyang = people["wang"], people["ouyang"]
    wang.custom_fields = {"budget": 500, "visit_on": "2026-03-01", "hobbies": ["茶", "书"]}
    wang.save()
    ouyang.custom_fields = {"budget": 5000, "visit_on": "2026-05-01", "call_time": "上午"}
    ouyang.save()
    a1 = org.agent_a1
    assert names(a1, **{"cf.budget": {"min": 1000}}) == ["欧阳娜娜"]
    assert names(a1, **{"cf.budget": {"max": "1000"}}) == ["王小明"]
    assert names(a1, **{"cf.budget": 500}) == ["王小明"]
    assert names(a1, **{"cf.visit_on": {"min": "2026-04-01", "max": "2026-12-31"}}) == ["欧阳娜娜"]
    assert names(a1, **{"cf.hobbies": "书"}) == ["王小明"]
    assert names(a1, **{"cf.call_time": "上午", "name": "欧阳"}) == ["欧阳娜娜"]
    assert names(a1, **{"cf.call_time": "上午", "q": "5678"}) == []
    with pytest.raises(InvalidData):
        names(a1, **{"cf.secret": "x"})  # not searchable
    with pytest.raises(InvalidData):
        names(a1, **{"cf.budget": {"min": "lots"}})
    with pytest.raises(InvalidData):
        names(a1, level="gold")


def test_search_form_round_trip(org, people):
    custom("budget", "number")
    custom("call_time", "choice", choices=["上午", "晚上"])
    form = CustomerSearchForm()
    plain = {name for name in form.fields if not name.startswith("cf.")}
    assert plain <= PLAIN_CRITERIA
    params = {"name": "王", "cf.budget.min": "100", "cf.call_time": "上午", "low_credit": "0"}
    criteria = search_criteria(params)
    assert criteria == {
        "name": "王",
        "cf.budget": {"min": "100"},
        "cf.call_time": "上午",
        "low_credit": "0",
    }
    assert criteria_params(criteria) == params
    customer_search(actor=org.agent_a1, criteria=criteria)


def test_saved_searches(org, people):
    search = saved_search_save(actor=org.agent_a1, name="小明们", query={"q": "小明"})
    assert list(saved_searches_visible(org.agent_a2)) == []
    with pytest.raises(InvalidData):
        saved_search_save(actor=org.agent_a1, name="", query={"q": "x"})
    with pytest.raises(InvalidData):
        saved_search_save(actor=org.agent_a1, name="x", query={})
    with pytest.raises(InvalidData):
        saved_search_save(actor=org.agent_a1, name="x", query={"colour": "red"})
    search = saved_search_save(
        actor=org.agent_a1, search=search, name="小明们", query={"q": "小明"}, shared=True
    )
    assert list(saved_searches_visible(org.agent_c1)) == [search]
    # a shared search runs within the scope of whoever runs it
    assert names(org.agent_c1, **search.query) == ["张小明"]
    with pytest.raises(NotAllowed):
        saved_search_save(actor=org.agent_c1, search=search, name="mine", query={"q": "x"})
    with pytest.raises(NotAllowed):
        saved_search_delete(actor=org.agent_c1, search=search)
    saved_search_delete(actor=org.agent_a1, search=search)
    assert list(saved_searches_visible(org.agent_a1)) == []


def test_merged_customers_are_not_found(org, people):
    from hotline.customers.services.merge import customer_merge

    twin = make_customer(org.agent_a1, name="王小明", phones=["13700001111"])
    customer_merge(actor=org.lead_a, survivor=people["wang"], merged=twin)
    assert [c.pk for c in customer_search(actor=org.agent_a1, criteria={"q": "王小明"})] == [
        people["wang"].pk
    ]
    assert names(org.agent_a1, q="0001111") == ["王小明"]
