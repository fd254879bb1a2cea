"""The blacklist (CUS-6): the report that reaches the threshold lists a
number, refusal windows are honoured in the call centre's time zone, leads
add and remove numbers by hand, and every report is kept."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hotline.core.events import subscribe, unsubscribe
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.runtime_settings import setting_set
from hotline.customers.events import BlacklistChanged
from hotline.customers.models import BlacklistEntry, BlacklistReport
from hotline.customers.selectors.blacklist import blacklist_entries, blacklist_status
from hotline.customers.services.blacklist import (
    blacklist_add,
    blacklist_remove,
    blacklist_report,
    blacklist_set_windows,
)

pytestmark = pytest.mark.django_db

NUMBER = "+8613800138000"
SHANGHAI = ZoneInfo("Asia/Shanghai")
THRESHOLD = "customers.blacklist_report_threshold"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """January 2026 in Shanghai: the 5th is a Monday, the 9th a Friday."""
    return datetime(2026, 1, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.fixture
def received():
    seen = []
    subscribe(BlacklistChanged)(seen.append)
    yield seen
    unsubscribe(BlacklistChanged, seen.append)


def report_three_times(org, number="138 0013 8000"):
    for agent in (org.agent_a1, org.agent_a2, org.agent_b1):
        blacklist_report(actor=agent, number=number, reason="abusive")


# --- reports ------------------------------------------------------------------


def test_two_reports_do_not_blacklist_the_third_does(org):
    blacklist_report(actor=org.agent_a1, number="138-0013-8000", reason="shouts")
    blacklist_report(actor=org.agent_a2, number="+86 13800138000", reason="threatens")
    assert not BlacklistEntry.objects.exists()
    assert blacklist_status(NUMBER)["listed"] is False
    assert blacklist_status(NUMBER)["reports"] == 2

    blacklist_report(actor=org.agent_b1, number="008613800138000", reason="again")
    entry = BlacklistEntry.objects.get(number=NUMBER)
    assert entry.active and entry.source == BlacklistEntry.Source.REPORTS
    assert entry.reason == "again"
    status = blacklist_status("13800138000")
    assert status["listed"] and status["refused_now"] and status["reports"] == 3


def test_reports_after_listing_are_kept_and_do_not_change_the_entry(org):
    report_three_times(org)
    blacklist_report(actor=org.agent_c1, number=NUMBER, reason="fourth")
    assert BlacklistReport.objects.filter(number=NUMBER).count() == 4
    assert BlacklistEntry.objects.get().reason == "abusive"


def test_threshold_setting_changed_to_two_takes_effect(org):
    setting_set(actor=org.admin, key=THRESHOLD, value=2)
    blacklist_report(actor=org.agent_a1, number=NUMBER, reason="one")
    assert not BlacklistEntry.objects.exists()
    blacklist_report(actor=org.agent_a2, number=NUMBER, reason="two")
    assert BlacklistEntry.objects.get(number=NUMBER).active


def test_invalid_number_is_refused_and_nothing_is_kept(org):
    with pytest.raises(InvalidData) as caught:
        blacklist_report(actor=org.agent_a1, number="12345", reason="x")
    assert "number" in caught.value.details
    assert not BlacklistReport.objects.exists()


def test_reason_is_required(org):
    with pytest.raises(InvalidData):
        blacklist_report(actor=org.agent_a1, number=NUMBER, reason="  ")
    assert not BlacklistReport.objects.exists()


def test_report_needs_the_permission(make_user):
    nobody = make_user("nobody")
    with pytest.raises(NotAllowed):
        blacklist_report(actor=nobody, number=NUMBER, reason="x")


def test_event_published_when_the_number_is_listed(
    org, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        blacklist_report(actor=org.agent_a1, number=NUMBER, reason="a")
        blacklist_report(actor=org.agent_a2, number=NUMBER, reason="b")
    assert received == []
    with django_capture_on_commit_callbacks(execute=True):
        blacklist_report(actor=org.agent_b1, number=NUMBER, reason="c")
    assert received == [BlacklistChanged(number=NUMBER, active=True, reports=3)]


# --- leads add and remove -------------------------------------------------------


def test_lead_adds_and_removes_a_number(org, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = blacklist_add(actor=org.lead_a, number="0755 2641 7308", reason="spam")
    assert entry.number == "+8675526417308" and entry.source == BlacklistEntry.Source.MANUAL
    assert blacklist_status("075526417308")["refused_now"]
    with django_capture_on_commit_callbacks(execute=True):
        blacklist_remove(actor=org.lead_a, entry=entry)
    entry.refresh_from_db()
    assert entry.active is False
    assert blacklist_status("075526417308")["listed"] is False
    assert [e.active for e in received] == [True, False]


def test_adding_twice_is_a_conflict_and_removing_twice_too(org):
    entry = blacklist_add(actor=org.lead_a, number=NUMBER, reason="")
    with pytest.raises(Conflict):
        blacklist_add(actor=org.lead_a, number=NUMBER, reason="")
    blacklist_remove(actor=org.lead_a, entry=entry)
    with pytest.raises(Conflict):
        blacklist_remove(actor=org.lead_a, entry=entry)
    again = blacklist_add(actor=org.lead_a, number=NUMBER, reason="back")
    assert again.pk == entry.pk and again.active and again.reason == "back"


def test_agent_may_not_add_remove_or_set_windows(org):
    with pytest.raises(NotAllowed):
        blacklist_add(actor=org.agent_a1, number=NUMBER, reason="")
    entry = blacklist_add(actor=org.lead_a, number=NUMBER, reason="")
    with pytest.raises(NotAllowed):
        blacklist_remove(actor=org.agent_a1, entry=entry)
    with pytest.raises(NotAllowed):
        blacklist_set_windows(actor=org.agent_a1, entry=entry, windows=[])
    assert BlacklistEntry.objects.get().active


def test_reports_are_kept_after_removal_and_new_ones_count_afresh(org):
    report_three_times(org)
    entry = BlacklistEntry.objects.get()
    blacklist_remove(actor=org.lead_a, entry=entry)
    assert BlacklistReport.objects.filter(number=NUMBER).count() == 3
    assert blacklist_status(NUMBER)["reports"] == 3
    # The lead's decision stands until the threshold is reached again.
    blacklist_report(actor=org.agent_a1, number=NUMBER, reason="still calling")
    assert not BlacklistEntry.objects.get().active
    blacklist_report(actor=org.agent_a2, number=NUMBER, reason="b")
    blacklist_report(actor=org.agent_b1, number=NUMBER, reason="c")
    assert BlacklistEntry.objects.get().active
    assert BlacklistReport.objects.filter(number=NUMBER).count() == 6


def test_entries_list_counts_reports(org):
    report_three_times(org)
    blacklist_add(actor=org.lead_a, number="0755 2641 7308", reason="")
    counts = {e.number: e.report_count for e in blacklist_entries(actor=org.agent_a1)}
    assert counts == {NUMBER: 3, "+8675526417308": 0}
    assert blacklist_entries(actor=org.agent_a1, active=False).count() == 0


# --- windows --------------------------------------------------------------------


@pytest.fixture
def entry(org):
    return blacklist_add(actor=org.lead_a, number=NUMBER, reason="")


def refused(at) -> bool:
    return blacklist_status(NUMBER, at=at)["refused_now"]


def test_without_windows_refused_at_all_times(entry):
    assert all(refused(local(day, hour)) for day in range(5, 12) for hour in (0, 9, 23))


def test_office_hours_window_on_weekdays(org, entry):
    blacklist_set_windows(
        actor=org.lead_a,
        entry=entry,
        windows=[{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}],
    )
    assert refused(local(7, 9, 0))  # Wednesday, at the start
    assert refused(local(7, 17, 59))
    assert not refused(local(7, 18, 0))  # the end is not inside
    assert not refused(local(7, 8, 59))
    assert not refused(local(10, 10, 0))  # Saturday
    status = blacklist_status(NUMBER, at=local(7, 10))
    assert status["listed"] and status["windows"] == [
        {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}
    ]


def test_window_spanning_midnight_belongs_to_the_day_it_starts(org, entry):
    blacklist_set_windows(
        actor=org.lead_a, entry=entry, windows=[{"weekdays": [4], "start": "22:00", "end": "06:00"}]
    )
    assert refused(local(9, 23, 0))  # Friday night
    assert refused(local(10, 5, 59))  # Saturday early morning, still Friday's window
    assert not refused(local(10, 6, 0))
    assert not refused(local(10, 23, 0))  # Saturday night: not a Friday
    assert not refused(local(9, 2, 0))  # Friday early morning belongs to Thursday
    assert not refused(local(9, 21, 59))


def test_empty_weekdays_mean_every_day(org, entry):
    blacklist_set_windows(
        actor=org.lead_a, entry=entry, windows=[{"weekdays": [], "start": "12:00", "end": "13:00"}]
    )
    assert all(refused(local(day, 12, 30)) for day in range(5, 12))
    assert not refused(local(6, 13, 30))


def test_windows_use_the_configured_time_zone_not_the_users(org, entry):
    blacklist_set_windows(
        actor=org.lead_a, entry=entry, windows=[{"weekdays": [], "start": "09:00", "end": "10:00"}]
    )
    at_utc = datetime(2026, 1, 7, 1, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in Shanghai
    with timezone.override("America/New_York"):
        assert refused(at_utc)
    assert not refused(datetime(2026, 1, 7, 9, 30, tzinfo=ZoneInfo("UTC")))


def test_removed_entry_is_not_refused_whatever_its_windows(org, entry):
    blacklist_set_windows(
        actor=org.lead_a, entry=entry, windows=[{"weekdays": [], "start": "00:00", "end": "23:59"}]
    )
    blacklist_remove(actor=org.lead_a, entry=entry)
    assert not refused(local(7, 12))


@pytest.mark.parametrize(
    "window",
    [
        {"weekdays": [7], "start": "09:00", "end": "10:00"},
        {"weekdays": ["x"], "start": "09:00", "end": "10:00"},
        {"weekdays": [], "start": "25:00", "end": "10:00"},
        {"weekdays": [], "start": "nine", "end": "10:00"},
        {"weekdays": [], "start": "09:00"},
        {"weekdays": [], "start": "09:00", "end": "09:00"},
        "09:00-10:00",
    ],
)
def test_bad_windows_are_refused_and_nothing_changes(org, entry, window):
    blacklist_set_windows(
        actor=org.lead_a, entry=entry, windows=[{"weekdays": [], "start": "01:00", "end": "02:00"}]
    )
    with pytest.raises(InvalidData):
        blacklist_set_windows(actor=org.lead_a, entry=entry, windows=[window])
    assert blacklist_status(NUMBER)["windows"] == [
        {"weekdays": [], "start": "01:00", "end": "02:00"}
    ]


def test_add_with_windows(org):
    entry = blacklist_add(
        actor=org.lead_a,
        number=NUMBER,
        reason="night calls",
        windows=[{"weekdays": [5, 6], "start": "20:00", "end": "08:00"}],
    )
    assert [str(w) for w in entry.windows.all()] == ["20:00–08:00"]
    assert refused(local(10, 21)) and not refused(local(7, 21))


def test_invalid_number_status_is_not_listed():
    status = blacklist_status("anonymous")
    assert status["valid"] is False and status["listed"] is False and not status["refused_now"]


# --- API --------------------------------------------------------------------------


def test_api_report_list_add_remove_status(client, org):
    client.force_login(org.agent_a1)
    for reason in ("a", "b"):
        response = client.post(
            "/api/customers/blacklist/reports",
            {"number": "138 0013 8000", "reason": reason},
            content_type="application/json",
        )
        assert response.status_code == 201
    assert response.json()["reports"] == 2 and response.json()["listed"] is False
    assert client.get("/api/customers/blacklist").json() == []

    client.force_login(org.lead_a)
    response = client.post(
        "/api/customers/blacklist",
        {
            "number": "0755-26417308",
            "reason": "spam",
            "windows": [{"weekdays": [0], "start": "08:00", "end": "12:00"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["number"] == "+8675526417308" and created["active"]
    assert created["windows"] == [{"weekdays": [0], "start": "08:00", "end": "12:00"}]

    listed = client.get("/api/customers/blacklist").json()
    assert [e["number"] for e in listed] == ["+8675526417308"]
    status = client.get("/api/customers/blacklist/status", {"number": "075526417308"}).json()
    assert status["listed"] and status["entry_id"] == created["id"]

    response = client.delete(f"/api/customers/blacklist/{created['id']}")
    assert response.status_code == 200 and response.json()["active"] is False
    assert client.get("/api/customers/blacklist").json() == []
    inactive = client.get("/api/customers/blacklist", {"status": "inactive"}).json()
    assert [e["id"] for e in inactive] == [created["id"]]


def test_api_agent_may_not_add(client, org):
    client.force_login(org.agent_a1)
    response = client.post(
        "/api/customers/blacklist",
        {"number": NUMBER, "reason": ""},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not BlacklistEntry.objects.exists()


def test_api_invalid_number_gives_validation_error(client, org):
    client.force_login(org.agent_a1)
    response = client.post(
        "/api/customers/blacklist/reports",
        {"number": "12", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"number": ["Not a valid phone number."]}


def test_api_set_windows(client, org, entry):
    client.force_login(org.lead_a)
    response = client.put(
        f"/api/customers/blacklist/{entry.pk}/windows",
        {"windows": [{"weekdays": [6], "start": "23:00", "end": "01:00"}]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["windows"] == [{"weekdays": [6], "start": "23:00", "end": "01:00"}]


# --- pages --------------------------------------------------------------------------


def test_list_page_for_agent_has_no_add_form(client, org, entry):
    client.force_login(org.agent_a1)
    page = client.get("/customers/blacklist/")
    assert page.status_code == 200
    assert NUMBER.encode() in page.content
    assert b"blacklist-add-form" not in page.content


def test_list_page_without_permission_is_refused(client, make_user):
    client.force_login(make_user("nobody"))
    assert client.get("/customers/blacklist/").status_code == 403


def test_lead_adds_from_the_list_page_and_edits_windows(client, org):
    client.force_login(org.lead_a)
    page = client.get("/customers/blacklist/")
    assert b"blacklist-add-form" in page.content
    response = client.post("/customers/blacklist/", {"number": "13800138000", "reason": "spam"})
    entry = BlacklistEntry.objects.get(number=NUMBER)
    assert response.status_code == 302 and response.url == f"/customers/blacklist/{entry.pk}/"

    response = client.post(
        f"/customers/blacklist/{entry.pk}/",
        {"weekdays": ["0", "1"], "start": "22:00", "end": "06:00"},
    )
    assert response.status_code == 302
    assert blacklist_status(NUMBER)["windows"] == [
        {"weekdays": [0, 1], "start": "22:00", "end": "06:00"}
    ]
    detail = client.get(f"/customers/blacklist/{entry.pk}/")
    assert b"22:00" in detail.content

    client.post(f"/customers/blacklist/{entry.pk}/windows/0/remove/")
    assert blacklist_status(NUMBER)["windows"] == []

    response = client.post(f"/customers/blacklist/{entry.pk}/remove/")
    assert response.status_code == 302
    assert not BlacklistEntry.objects.get().active


def test_bad_number_on_the_add_form_is_shown(client, org):
    client.force_login(org.lead_a)
    response = client.post("/customers/blacklist/", {"number": "123", "reason": ""})
    assert response.status_code == 200
    assert "not a valid phone number" in response.content.decode()
    assert not BlacklistEntry.objects.exists()


def test_detail_shows_reports_to_leads_only(client, org):
    report_three_times(org)
    entry = BlacklistEntry.objects.get()
    client.force_login(org.lead_a)
    assert b"blacklist-reports" in client.get(f"/customers/blacklist/{entry.pk}/").content
    client.force_login(org.agent_a1)
    page = client.get(f"/customers/blacklist/{entry.pk}/")
    assert page.status_code == 200 and b"blacklist-reports" not in page.content
    assert client.post(f"/customers/blacklist/{entry.pk}/remove/").status_code == 302
    assert BlacklistEntry.objects.get().active


def test_report_with_htmx_returns_the_form_fragment(client, org):
    client.force_login(org.agent_a1)
    response = client.post(
        "/customers/blacklist/report/",
        {"number": "13800138000", "reason": "rude"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="blacklist-report-form"' in html and "<html" not in html
    assert "1 report" in html
    assert BlacklistReport.objects.get().reported_by == org.agent_a1


def test_report_errors_with_htmx_stay_in_the_fragment(client, org):
    client.force_login(org.agent_a1)
    response = client.post(
        "/customers/blacklist/report/",
        {"number": "1", "reason": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "not a valid phone number" in response.content.decode()
    assert not BlacklistReport.objects.exists()


def test_report_without_htmx_redirects_to_next(client, org):
    client.force_login(org.agent_a1)
    response = client.post(
        "/customers/blacklist/report/",
        {"number": "13800138000", "reason": "rude", "next": "/customers/"},
    )
    assert response.status_code == 302 and response.url == "/customers/"
    response = client.post(
        "/customers/blacklist/report/",
        {"number": "13800138000", "reason": "rude", "next": "https://evil.example/"},
    )
    assert response.url == "/customers/blacklist/report/"
