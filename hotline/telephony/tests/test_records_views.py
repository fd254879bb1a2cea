"""The pages of the call records: playback with HTTP range requests (RFC
7233), permission (403) and data scope (404) on the audio, download and ZIP
export (audited), the CDR list and its filters, one call with its legs and
timeline, the voicemail inbox, and the Calls panel of the customer 360 view."""

import io
import zipfile

import pytest

from hotline.accounts.models import AuditEvent
from hotline.telephony.tests.test_records import build_cdr, client_for, make_clerk, make_qa


@pytest.fixture
def cdr(org):
    return build_cdr(org)


@pytest.fixture
def qa(make_user, org):
    return make_qa(make_user, org)


@pytest.fixture
def clerk(make_user, org):
    return make_clerk(make_user, org)


def audio_url(recording, **params) -> str:
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    return f"/telephony/recordings/{recording.pk}/audio{query}"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- playback ---------------------------------------------------------------


def test_full_file_without_range(cdr):
    response = client_for(cdr.org.agent_a1).get(audio_url(cdr.rec_a1))
    assert response.status_code == 200
    data = cdr.rec_a1.data
    assert body(response) == data
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Type"] == "audio/wav"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"].startswith("inline")
    assert "Content-Range" not in response
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, None),
        ("bytes=-50", -50, None),
        ("bytes=10-10", 10, 10),
    ],
)
def test_range_requests_answer_206_with_the_right_bytes(cdr, header, first, last):
    data = cdr.rec_a1.data
    size = len(data)
    response = client_for(cdr.org.agent_a1).get(audio_url(cdr.rec_a1), HTTP_RANGE=header)
    assert response.status_code == 206
    start = first if first >= 0 else size + first
    end = size - 1 if last is None else last
    assert body(response) == data[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/wav"


def test_range_past_the_end_is_clipped_and_suffix_longer_than_file_is_whole(cdr):
    data = cdr.rec_a1.data
    size = len(data)
    client = client_for(cdr.org.agent_a1)
    clipped = client.get(audio_url(cdr.rec_a1), HTTP_RANGE=f"bytes={size - 10}-{size + 500}")
    assert clipped.status_code == 206
    assert clipped["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    assert body(clipped) == data[-10:]
    whole = client.get(audio_url(cdr.rec_a1), HTTP_RANGE=f"bytes=-{size * 2}")
    assert whole.status_code == 206 and body(whole) == data


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{more}", "bytes=-0"])
def test_unsatisfiable_range_is_416(cdr, header):
    size = len(cdr.rec_a1.data)
    response = client_for(cdr.org.agent_a1).get(
        audio_url(cdr.rec_a1), HTTP_RANGE=header.format(size=size, more=size + 9)
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize("header", ["items=0-5", "bytes=0-5,10-20", "bytes=9-3", "bytes=x-"])
def test_ranges_we_do_not_serve_get_the_whole_file(cdr, header):
    response = client_for(cdr.org.agent_a1).get(audio_url(cdr.rec_a1), HTTP_RANGE=header)
    assert response.status_code == 200
    assert body(response) == cdr.rec_a1.data


def test_if_range_with_another_validator_sends_the_whole_file(cdr):
    client = client_for(cdr.org.agent_a1)
    etag = client.get(audio_url(cdr.rec_a1))["ETag"]
    same = client.get(audio_url(cdr.rec_a1), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag)
    assert same.status_code == 206
    changed = client.get(audio_url(cdr.rec_a1), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"old"')
    assert changed.status_code == 200


def test_audio_needs_permission_and_scope(cdr, clerk, qa):
    org = cdr.org
    assert client_for(clerk).get(audio_url(cdr.rec_a1)).status_code == 403
    agent = client_for(org.agent_a1)
    assert agent.get(audio_url(cdr.rec_a2)).status_code == 404  # agent_a2's: not revealed
    assert agent.get(audio_url(cdr.rec_b1)).status_code == 404
    assert agent.get(audio_url(cdr.vm_recording)).status_code == 200  # the shared inbox
    lead = client_for(org.lead_a)
    assert lead.get(audio_url(cdr.rec_a2)).status_code == 200  # the lead's team
    assert lead.get(audio_url(cdr.rec_b1)).status_code == 404
    assert client_for(qa).get(audio_url(cdr.rec_c1)).status_code == 200
    assert agent.get("/telephony/recordings/999999/audio").status_code == 404


def test_download_is_an_attachment_and_audited(cdr):
    response = client_for(cdr.org.agent_a1).get(audio_url(cdr.rec_a1, download=1))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert f"-{cdr.rec_a1.pk}.wav" in response["Content-Disposition"]
    assert body(response) == cdr.rec_a1.data
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == cdr.org.agent_a1
    assert event.detail["recordings"] == [cdr.rec_a1.pk]


def test_missing_file_is_404(cdr):
    cdr.rec_a1.file = "2026/01/05/gone.wav"
    cdr.rec_a1.save()
    assert client_for(cdr.org.agent_a1).get(audio_url(cdr.rec_a1)).status_code == 404


# --- bulk export --------------------------------------------------------------


def test_bulk_export_zip_contains_only_files_in_scope(cdr):
    client = client_for(cdr.org.lead_a)
    wanted = [cdr.rec_a1.pk, cdr.rec_a2.pk, cdr.rec_b1.pk, cdr.rec_c1.pk]
    response = client.post("/telephony/recordings/export/", {"ids": wanted})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(body(response))) as zipped:
        contents = sorted(zipped.read(name) for name in zipped.namelist())
    assert contents == sorted([cdr.rec_a1.data, cdr.rec_a2.data])
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert sorted(event.detail["recordings"]) == sorted([cdr.rec_a1.pk, cdr.rec_a2.pk])


def test_bulk_export_of_nothing_visible_goes_back_with_a_message(cdr, clerk):
    client = client_for(cdr.org.agent_a1)
    response = client.post(
        "/telephony/recordings/export/", {"ids": [cdr.rec_b1.pk], "next": "/telephony/recordings/"}
    )
    assert response.status_code == 302 and response["Location"] == "/telephony/recordings/"
    page = client.get("/telephony/recordings/")
    assert "None of the selected recordings can be exported." in page.content.decode()
    evil = client.post(
        "/telephony/recordings/export/", {"ids": [], "next": "https://elsewhere.example/"}
    )
    assert evil["Location"] == "/telephony/recordings/"
    assert client_for(clerk).post("/telephony/recordings/export/", {"ids": [1]}).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


# --- pages --------------------------------------------------------------------


def test_recording_search_page(cdr, clerk):
    lead = client_for(cdr.org.lead_a)
    page = lead.get("/telephony/recordings/")
    assert page.status_code == 200
    html = page.content.decode()
    for recording in (cdr.rec_a1, cdr.rec_a2, cdr.vm_recording):
        assert f'data-recording="{recording.pk}"' in html
    assert f'data-recording="{cdr.rec_b1.pk}"' not in html
    assert f'<audio controls preload="none" src="{audio_url(cdr.rec_a1)}"' in html
    assert 'action="/telephony/recordings/export/"' in html
    found = lead.get("/telephony/recordings/", {"number": "13900"}).content.decode()
    assert f'data-recording="{cdr.rec_a2.pk}"' in found
    assert f'data-recording="{cdr.rec_a1.pk}"' not in found
    partial = lead.get(
        "/telephony/recordings/",
        {"number": "13900"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    ).content.decode()
    assert partial.startswith('<div id="results"') and "<html" not in partial
    assert client_for(clerk).get("/telephony/recordings/").status_code == 403


def test_cdr_list_columns_and_filters(cdr, clerk):
    admin = client_for(cdr.org.admin)
    html = admin.get("/telephony/calls/").content.decode()
    for call in (cdr.call_a1, cdr.call_a2, cdr.call_b1, cdr.call_c1, cdr.abandoned):
        assert f'data-call="{call.pk}"' in html
    row = html.split(f'data-call="{cdr.call_a1.pk}"')[1].split("</tr>")[0]
    for text in ("Inbound", "13800138000", "4001", "王伟", "Sales line", "agent_a1"):
        assert text in row, text
    # wait 12 s, talk 83 s, hold 4 s, ACW 15 s as m:ss; the recording's play link
    for text in ("0:12", "1:23", "0:04", "0:15", "Answered", "Caller", audio_url(cdr.rec_a1)):
        assert text in row, text
    assert cdr.customer.get_absolute_url() in row

    def shown(**params):
        page = admin.get("/telephony/calls/", params).content.decode()
        return {
            call.pk
            for call in (cdr.call_a1, cdr.call_a2, cdr.call_b1, cdr.call_c1, cdr.abandoned)
            if f'data-call="{call.pk}"' in page
        }

    assert shown(number="13700") == {cdr.call_b1.pk}
    assert shown(direction="outbound") == {cdr.call_b1.pk}
    assert shown(disposition="voicemail") == {cdr.abandoned.pk}
    assert shown(agent=cdr.agents[3].pk) == {cdr.call_c1.pk}
    assert shown(queue=cdr.service.pk) == {cdr.call_c1.pk}
    day = cdr.call_b1.started_at.date().isoformat()
    assert shown(date_from=day, date_to=day) == {cdr.call_b1.pk, cdr.call_c1.pk}
    assert shown(customer=cdr.customer.pk) == {cdr.call_a1.pk, cdr.call_a2.pk}
    agent_page = client_for(cdr.org.agent_a1).get("/telephony/calls/").content.decode()
    assert f'data-call="{cdr.call_a1.pk}"' in agent_page
    assert f'data-call="{cdr.call_a2.pk}"' not in agent_page
    assert client_for(clerk).get("/telephony/calls/").status_code == 403


def test_call_detail_shows_legs_timeline_and_player(cdr):
    client = client_for(cdr.org.agent_a1)
    response = client.get(f"/telephony/calls/{cdr.call_a1.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-leg="sim-{cdr.call_a1.pk}-c"' in html
    assert f'data-leg="sim-{cdr.call_a1.pk}-a"' in html
    legs = html.split('id="call-legs"')[1].split("</table>")[0]
    assert "1:23" in legs and "1:27" in legs  # talk; the agent leg lasted 87 s
    timeline = html.split('id="call-timeline"')[1].split("</table>")[0]
    for text in ("New", "Waiting in a queue", "Connected", "Ended", "caller hung up"):
        assert text in timeline, text
    assert "<code>welcome</code> → <code>menu</code> → <code>to_sales</code>" in html
    assert f'<audio controls preload="none" src="{audio_url(cdr.rec_a1)}"></audio>' in html
    assert client.get(f"/telephony/calls/{cdr.call_a2.pk}/").status_code == 404


def test_call_detail_of_an_abandoned_call_shows_its_voicemail(cdr):
    html = client_for(cdr.org.admin).get(f"/telephony/calls/{cdr.abandoned.pk}/").content.decode()
    assert 'id="call-voicemail"' in html and "Unheard" in html
    assert audio_url(cdr.vm_recording) in html


def test_voicemail_inbox_and_mark_heard(cdr, qa):
    client = client_for(cdr.org.agent_b1)
    html = client.get("/telephony/voicemail/").content.decode()
    assert html.index(f'data-voicemail="{cdr.voicemail.pk}"') < html.index(
        f'data-voicemail="{cdr.older_voicemail.pk}"'
    )
    assert f'data-voicemail="{cdr.voicemail.pk}" data-heard="no"' in html
    assert audio_url(cdr.vm_recording) in html
    response = client.post(f"/telephony/voicemail/{cdr.voicemail.pk}/heard/")
    assert response.status_code == 302 and response["Location"] == "/telephony/voicemail/"
    cdr.voicemail.refresh_from_db()
    assert cdr.voicemail.heard_by == cdr.org.agent_b1 and cdr.voicemail.heard_at is not None
    html = client.get("/telephony/voicemail/").content.decode()
    assert f'data-voicemail="{cdr.voicemail.pk}" data-heard="yes"' in html
    unheard = client.get("/telephony/voicemail/", {"unheard": "1"}).content.decode()
    assert f'data-voicemail="{cdr.voicemail.pk}"' not in unheard
    assert f'data-voicemail="{cdr.older_voicemail.pk}"' in unheard
    assert client_for(qa).get("/telephony/voicemail/").status_code == 403
    refused = client_for(qa).post(f"/telephony/voicemail/{cdr.older_voicemail.pk}/heard/")
    assert refused.status_code == 403
    cdr.older_voicemail.refresh_from_db()
    assert cdr.older_voicemail.heard_at is None


def test_customer_panel_lists_calls_with_recordings(cdr):
    import hotline.telephony.registrations  # noqa: F401  (apps.py imports it in ready())

    url = cdr.customer.get_absolute_url()
    html = client_for(cdr.org.agent_a1).get(url).content.decode()
    panel = html.split('id="panel-calls"')[1].split("</section>")[0]
    assert f'data-call="{cdr.call_a1.pk}"' in panel
    assert f'data-call="{cdr.call_a2.pk}"' not in panel  # agent_a2's call: out of scope
    assert audio_url(cdr.rec_a1) in panel
    lead_html = client_for(cdr.org.lead_a).get(url).content.decode()
    assert audio_url(cdr.rec_a2) in lead_html.split('id="panel-calls"')[1]
