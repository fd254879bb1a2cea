"""The system settings page: administrators change runtime settings with
validation; others may not."""

import pytest

from hotline.core.runtime_settings import setting_get

pytestmark = pytest.mark.django_db

KEY = "customers.blacklist_report_threshold"


def test_admin_changes_a_setting(client, org):
    client.force_login(org.admin)
    page = client.get("/manage/settings/")
    assert page.status_code == 200
    assert KEY.encode() in page.content
    response = client.post("/manage/settings/", {"key": KEY, "value": "5"})
    assert response.status_code == 302
    assert setting_get(KEY) == 5


def test_bad_value_is_refused_and_nothing_changes(client, org):
    client.force_login(org.admin)
    response = client.post("/manage/settings/", {"key": KEY, "value": "zero"})
    assert response.status_code == 200
    assert "at least 1" in response.content.decode()
    assert setting_get(KEY) == 3


def test_agent_may_not_open_settings(client, org):
    client.force_login(org.agent_a1)
    assert client.get("/manage/settings/").status_code == 403
    assert client.post("/manage/settings/", {"key": KEY, "value": "1"}).status_code == 403
    assert setting_get(KEY) == 3
