import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/django-admin/accounts/user/",
        "/django-admin/accounts/department/",
        "/django-admin/accounts/role/{agent_role}/change/",
        "/django-admin/accounts/auditevent/",
        "/django-admin/core/objectchange/",
        "/django-admin/core/customfield/add/",
    ],
)
def test_administration_site_pages_open_for_staff(client, org, path):
    org.admin.is_staff = True
    org.admin.is_superuser = True
    org.admin.save()
    client.force_login(org.admin)
    assert client.get(path.format(agent_role=org.roles["agent"].pk)).status_code == 200


def test_administration_site_is_closed_to_agents(client, org):
    client.force_login(org.agent_a1)
    response = client.get("/django-admin/accounts/user/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
