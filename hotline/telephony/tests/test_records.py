"""The recording catalogue, CDR and voicemail reads and writes: the
recording policy table (TEL-6), data scope of calls and recordings, the
shared voicemail inbox and marking heard (TEL-5), the ZIP export (audited),
the CDR filters (TEL-11) and the API under /api/telephony/.

The helpers here build call records directly with the ORM, the way the
engine leaves them; the view tests reuse them."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.test import Client

from hotline.accounts.models import AuditEvent
from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.customers.models import Customer
from hotline.telephony.models import (
    Agent,
    Call,
    CallLeg,
    Extension,
    Queue,
    Recording,
    RecordingPolicy,
    Voicemail,
)
from hotline.telephony.selectors import records as selectors
from hotline.telephony.services.records import (
    recording_policy,
    recordings_export,
    voicemail_mark_heard,
)
from hotline.telephony.storage import recording_store, simulated_wav

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


# --- builders ---------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_agent(user, number: str) -> Agent:
    return Agent.objects.create(user=user, number=number)


def make_call(agent=None, *, at=T0, caller="13800138000", called="4001", legs=True, **fields):
    """An ended call with a customer leg and, when answered by ``agent``, an agent leg."""
    fields.setdefault("direction", Call.Direction.INBOUND)
    fields.setdefault("disposition", Call.Disposition.ANSWERED if agent else "")
    answered = at + timedelta(seconds=12) if agent else None
    ended = at + timedelta(seconds=95)
    call = Call.objects.create(
        agent=agent,
        caller=caller,
        called=called,
        state=Call.State.ENDED,
        started_at=at,
        queued_at=at + timedelta(seconds=3),
        ringing_at=at + timedelta(seconds=8) if agent else None,
        answered_at=answered,
        ended_at=ended,
        queue_ms=5000,
        wait_ms=12000,
        talk_ms=83000 if agent else 0,
        hold_ms=4000 if agent else 0,
        acw_ms=15000 if agent else 0,
        hangup_side="caller",
        hangup_cause="normal_clearing",
        timeline=[
            ["new", at.isoformat(), ""],
            ["queued", (at + timedelta(seconds=3)).isoformat(), "sales"],
            ["connected", (at + timedelta(seconds=12)).isoformat(), "agent leg answered"],
            ["ended", ended.isoformat(), "caller hung up"],
        ],
        flow_path=["welcome", "menu", "to_sales"],
        **fields,
    )
    if legs:
        CallLeg.objects.create(
            call=call,
            switch_id=f"sim-{call.pk}-c",
            kind=CallLeg.Kind.CUSTOMER,
            state=CallLeg.State.ENDED,
            number=caller,
            created_at=at,
            answered_at=at,
            ended_at=ended,
            wait_ms=12000,
            talk_ms=83000,
            hangup_side="caller",
        )
        if agent:
            CallLeg.objects.create(
                call=call,
                switch_id=f"sim-{call.pk}-a",
                kind=CallLeg.Kind.AGENT,
                state=CallLeg.State.ENDED,
                number=agent.number,
                agent=agent,
                created_at=at + timedelta(seconds=8),
                ringing_at=at + timedelta(seconds=8),
                answered_at=answered,
                ended_at=ended,
                wait_ms=4000,
                talk_ms=83000,
                hold_ms=4000,
                acw_ms=15000,
            )
    return call


def make_recording(call, *, kind=Recording.Kind.CALL, seconds=1.0, agent="call"):
    data = simulated_wav(seconds, label=f"call {call.pk}")
    name, size = recording_store(content=data, name_hint=f"{call.pk}-{kind}", at=call.started_at)
    recording = Recording.objects.create(
        call=call,
        kind=kind,
        agent=call.agent if agent == "call" else agent,
        customer=call.customer,
        file=name,
        size=size,
        started_at=call.answered_at or call.started_at,
        duration_ms=round(seconds * 1000),
    )
    recording.data = data
    return recording


def build_cdr(org) -> SimpleNamespace:
    """Calls of agents in team_a (a1, a2), team_b (b1, Sales-North) and
    team_c (c1, Service), one abandoned call that left a voicemail."""
    a1 = make_agent(org.agent_a1, "8001")
    a2 = make_agent(org.agent_a2, "8002")
    b1 = make_agent(org.agent_b1, "8003")
    c1 = make_agent(org.agent_c1, "8004")
    sales = Queue.objects.create(code="sales", name="Sales line")
    service = Queue.objects.create(code="service", name="Service line")
    customer = Customer.objects.create(name="王伟", owner=org.agent_a1)
    call_a1 = make_call(a1, queue=sales, customer=customer)
    call_a2 = make_call(
        a2, at=T0 + timedelta(days=1), caller="13900139000", queue=sales, customer=customer
    )
    call_b1 = make_call(
        b1,
        at=T0 + timedelta(days=2),
        caller="4001",
        called="13700137000",
        direction=Call.Direction.OUTBOUND,
    )
    call_c1 = make_call(c1, at=T0 + timedelta(days=2), caller="13600136000", queue=service)
    abandoned = make_call(
        None,
        at=T0 + timedelta(days=3),
        caller="13500135000",
        queue=sales,
        disposition=Call.Disposition.VOICEMAIL,
    )
    vm_recording = make_recording(abandoned, kind=Recording.Kind.VOICEMAIL, agent=None)
    voicemail = Voicemail.objects.create(
        call=abandoned,
        caller=abandoned.caller,
        queue=sales,
        recording=vm_recording,
        created_at=abandoned.ended_at,
    )
    older_voicemail = Voicemail.objects.create(
        call=make_call(None, at=T0, caller="13300133000", legs=False),
        caller="13300133000",
        created_at=T0,
    )
    return SimpleNamespace(
        org=org,
        agents=(a1, a2, b1, c1),
        sales=sales,
        service=service,
        customer=customer,
        call_a1=call_a1,
        call_a2=call_a2,
        call_b1=call_b1,
        call_c1=call_c1,
        abandoned=abandoned,
        rec_a1=make_recording(call_a1),
        rec_a2=make_recording(call_a2),
        rec_b1=make_recording(call_b1),
        rec_c1=make_recording(call_c1),
        vm_recording=vm_recording,
        voicemail=voicemail,
        older_voicemail=older_voicemail,
    )


def make_qa(make_user, org):
    return make_user("qa_1", roles=["qa"], department=org.hq)


def make_clerk(make_user, org):
    """A user with no telephony permission at all."""
    return make_user("clerk", roles=["logistics"], department=org.hq)


@pytest.fixture
def cdr(org):
    return build_cdr(org)


@pytest.fixture
def qa(make_user, org):
    return make_qa(make_user, org)


@pytest.fixture
def clerk(make_user, org):
    return make_clerk(make_user, org)


def ids(rows) -> set[int]:
    return {row.pk for row in rows}


# --- policy -----------------------------------------------------------------

A, N, D = RecordingPolicy.ALWAYS, RecordingPolicy.NEVER, RecordingPolicy.ON_DEMAND


@pytest.mark.parametrize(
    ("extension", "queue", "campaign", "expected"),
    [
        (A, A, None, "always"),
        (A, N, None, "never"),
        (N, A, A, "never"),
        (A, A, N, "never"),
        (D, A, None, "always"),
        (A, D, D, "always"),
        (D, D, None, "on_demand"),
        (D, None, None, "on_demand"),
        (None, None, None, "on_demand"),
        (None, A, None, "always"),
        (None, None, N, "never"),
        (D, D, A, "always"),
        (N, D, None, "never"),
    ],
)
def test_recording_policy_table(extension, queue, campaign, expected):
    assert recording_policy(extension=extension, queue=queue, campaign=campaign) == expected
    # The same with rows carrying a ``recording`` field.
    as_rows = [None if p is None else SimpleNamespace(recording=p) for p in (extension, queue)]
    result = recording_policy(extension=as_rows[0], queue=as_rows[1], campaign=campaign)
    assert result == expected


def test_recording_policy_reads_model_rows():
    extension = Extension(number="8001", recording=RecordingPolicy.ON_DEMAND)
    queue = Queue(code="q", name="Q", recording=RecordingPolicy.NEVER)
    assert recording_policy(extension=extension, queue=queue) == "never"
    queue.recording = RecordingPolicy.ON_DEMAND
    assert recording_policy(extension=extension, queue=queue) == "on_demand"


# --- scope ------------------------------------------------------------------


def test_recordings_follow_the_data_scope(cdr, qa, clerk):
    org = cdr.org
    voicemail_recording = {cdr.vm_recording.pk}
    agent_sees = ids(selectors.recordings_accessible(org.agent_a1))
    assert agent_sees == {cdr.rec_a1.pk} | voicemail_recording
    lead_sees = ids(selectors.recordings_accessible(org.lead_a))
    assert lead_sees == {cdr.rec_a1.pk, cdr.rec_a2.pk} | voicemail_recording
    head_sees = ids(selectors.recordings_accessible(org.head_sales))  # Sales with Sales-North
    assert head_sees == {cdr.rec_a1.pk, cdr.rec_a2.pk, cdr.rec_b1.pk} | voicemail_recording
    assert ids(selectors.recordings_accessible(qa)) == ids(Recording.objects.all())
    assert ids(selectors.recordings_accessible(clerk)) == set()


def test_recording_get_refuses_without_permission_and_hides_other_scopes(cdr, clerk):
    with pytest.raises(NotAllowed):
        selectors.recording_get(actor=clerk, pk=cdr.rec_a1.pk)
    with pytest.raises(Recording.DoesNotExist):
        selectors.recording_get(actor=cdr.org.agent_a1, pk=cdr.rec_a2.pk)
    assert selectors.recording_get(actor=cdr.org.lead_a, pk=cdr.rec_a2.pk) == cdr.rec_a2


def test_calls_follow_the_data_scope(cdr, qa):
    org = cdr.org
    assert ids(selectors.call_list(actor=org.agent_a1)) == {cdr.call_a1.pk}
    assert ids(selectors.call_list(actor=org.lead_a)) == {cdr.call_a1.pk, cdr.call_a2.pk}
    assert ids(selectors.call_list(actor=org.head_sales)) == {
        cdr.call_a1.pk,
        cdr.call_a2.pk,
        cdr.call_b1.pk,
    }
    assert ids(selectors.call_list(actor=qa)) == ids(Call.objects.all())
    with pytest.raises(Call.DoesNotExist):
        selectors.call_detail(actor=org.agent_a1, pk=cdr.call_a2.pk)


def test_call_list_filters(cdr):
    lead = cdr.org.admin

    def found(**filters):
        return ids(selectors.call_list(actor=lead, **filters))

    assert found(number="13900") == {cdr.call_a2.pk}
    assert found(number="137001") == {cdr.call_b1.pk}  # the called number
    assert found(direction="outbound") == {cdr.call_b1.pk}
    assert found(disposition="voicemail") == {cdr.abandoned.pk}
    assert found(agent_id=cdr.agents[1].pk) == {cdr.call_a2.pk}
    assert found(queue_id=cdr.service.pk) == {cdr.call_c1.pk}
    assert found(customer_id=cdr.customer.pk) == {cdr.call_a1.pk, cdr.call_a2.pk}
    day2 = (T0 + timedelta(days=2)).date()
    assert found(date_from=day2, date_to=day2) == {cdr.call_b1.pk, cdr.call_c1.pk}
    assert cdr.abandoned.pk not in found(date_to=day2)
    assert found(direction="sideways") == ids(Call.objects.all())  # unknown values ignored
    first = selectors.call_list(actor=cdr.org.agent_a1).get()
    assert first.first_recording_id == cdr.rec_a1.pk


def test_recording_list_filters(cdr):
    admin = cdr.org.admin

    def found(**filters):
        return ids(selectors.recording_list(actor=admin, **filters))

    assert found(number="13900") == {cdr.rec_a2.pk}
    assert found(agent_id=cdr.agents[2].pk) == {cdr.rec_b1.pk}
    assert found(customer="王") == {cdr.rec_a1.pk, cdr.rec_a2.pk}
    assert found(customer_id=cdr.customer.pk) == {cdr.rec_a1.pk, cdr.rec_a2.pk}
    assert found(kind="voicemail") == {cdr.vm_recording.pk}
    day0 = T0.date()
    assert found(date_from=day0, date_to=day0) == {cdr.rec_a1.pk}


def test_timeline_flow_path_and_durations(cdr):
    timeline = selectors.call_timeline(cdr.call_a1)
    assert [entry.state for entry in timeline] == ["new", "queued", "connected", "ended"]
    assert timeline[1].label == "Waiting in a queue" and timeline[1].note == "sales"
    assert timeline[0].at == T0
    odd = Call(timeline=[["ringing", "not a time"], "lost"], flow_path=[["menu", "1"], "x"])
    entries = selectors.call_timeline(odd)
    assert (entries[0].label, entries[0].at, entries[1].state) == ("Ringing an agent", None, "lost")
    assert selectors.flow_path_steps(odd) == ["menu 1", "x"]
    assert selectors.format_ms(83000) == "1:23"
    assert selectors.format_ms(4_530_400) == "75:30"
    assert selectors.format_ms(0) == "0:00"
    assert selectors.format_ms(None) == "—"


# --- voicemail --------------------------------------------------------------


def test_voicemail_inbox_is_shared_and_newest_first(cdr, qa):
    org = cdr.org
    for user in (org.agent_a1, org.agent_c1, org.lead_a):
        assert list(selectors.voicemail_list(actor=user)) == [cdr.voicemail, cdr.older_voicemail]
    with pytest.raises(NotAllowed):
        selectors.voicemail_list(actor=qa)  # QA scores calls; it has no voicemail inbox


def test_voicemail_mark_heard_keeps_the_first_listener(cdr, qa):
    org = cdr.org
    at = T0 + timedelta(days=4)
    voicemail_mark_heard(actor=org.agent_a2, voicemail=cdr.voicemail, at=at)
    cdr.voicemail.refresh_from_db()
    assert (cdr.voicemail.heard_by, cdr.voicemail.heard_at) == (org.agent_a2, at)
    voicemail_mark_heard(actor=org.agent_b1, voicemail=cdr.voicemail)
    cdr.voicemail.refresh_from_db()
    assert cdr.voicemail.heard_by == org.agent_a2
    assert list(selectors.voicemail_list(actor=org.agent_a1, unheard=True)) == [cdr.older_voicemail]
    with pytest.raises(NotAllowed):
        voicemail_mark_heard(actor=qa, voicemail=cdr.older_voicemail)
    cdr.older_voicemail.refresh_from_db()
    assert cdr.older_voicemail.heard_at is None


# --- export -----------------------------------------------------------------


def test_export_zips_only_recordings_in_scope_and_is_audited(cdr):
    agent = cdr.org.agent_a1
    wanted = [cdr.rec_a1.pk, cdr.rec_a2.pk, cdr.rec_b1.pk, cdr.vm_recording.pk]
    filename, archive, count = recordings_export(actor=agent, ids=[str(pk) for pk in wanted])
    with archive, zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        assert count == len(names) == 2
        contents = {zipped.read(name) for name in names}
    assert contents == {cdr.rec_a1.data, cdr.vm_recording.data}
    assert any(name.endswith(f"-13800138000-4001-{cdr.rec_a1.pk}.wav") for name in names)
    assert filename.startswith("recordings-") and filename.endswith(".zip")
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == agent
    assert sorted(event.detail["recordings"]) == sorted([cdr.rec_a1.pk, cdr.vm_recording.pk])


def test_export_refuses_nothing_visible_and_no_permission(cdr, clerk):
    with pytest.raises(InvalidData):
        recordings_export(actor=cdr.org.agent_a1, ids=[cdr.rec_b1.pk])
    with pytest.raises(InvalidData):
        recordings_export(actor=cdr.org.agent_a1, ids=[])
    with pytest.raises(NotAllowed):
        recordings_export(actor=clerk, ids=[cdr.rec_a1.pk])
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


# --- API --------------------------------------------------------------------


def test_api_calls_are_scoped(cdr):
    agent = client_for(cdr.org.agent_a1)
    rows = agent.get("/api/telephony/calls").json()
    assert [row["id"] for row in rows] == [cdr.call_a1.pk]
    assert rows[0]["recording_id"] == cdr.rec_a1.pk
    assert rows[0]["talk_ms"] == 83000
    assert agent.get(f"/api/telephony/calls/{cdr.call_a2.pk}").status_code == 404
    lead = client_for(cdr.org.lead_a)
    rows = lead.get("/api/telephony/calls", {"number": "13900"}).json()
    assert [row["id"] for row in rows] == [cdr.call_a2.pk]
    assert len(lead.get("/api/telephony/calls", {"limit": 1}).json()) == 1


def test_api_call_detail_has_legs_timeline_and_recordings(cdr):
    response = client_for(cdr.org.agent_a1).get(f"/api/telephony/calls/{cdr.call_a1.pk}")
    assert response.status_code == 200
    body = response.json()
    assert [leg["kind"] for leg in body["legs"]] == ["customer", "agent"]
    assert body["legs"][1]["agent_id"] == cdr.agents[0].pk
    assert [entry["state"] for entry in body["timeline"]] == ["new", "queued", "connected", "ended"]
    assert [rec["id"] for rec in body["recordings"]] == [cdr.rec_a1.pk]
    assert body["recordings"][0]["audio_url"] == f"/telephony/recordings/{cdr.rec_a1.pk}/audio"
    assert body["flow_path"] == ["welcome", "menu", "to_sales"]
    assert body["voicemail_id"] is None


def test_api_recordings_and_voicemail(cdr, clerk):
    agent = client_for(cdr.org.agent_a1)
    found = {row["id"] for row in agent.get("/api/telephony/recordings").json()}
    assert found == {cdr.rec_a1.pk, cdr.vm_recording.pk}
    assert agent.get(f"/api/telephony/recordings/{cdr.rec_b1.pk}").status_code == 404
    inbox = agent.get("/api/telephony/voicemails", {"unheard": True}).json()
    assert [row["id"] for row in inbox] == [cdr.voicemail.pk, cdr.older_voicemail.pk]
    heard = agent.post(f"/api/telephony/voicemails/{cdr.voicemail.pk}/heard")
    assert heard.status_code == 200
    assert heard.json()["heard_by_id"] == cdr.org.agent_a1.pk
    inbox = agent.get("/api/telephony/voicemails", {"unheard": True}).json()
    assert [row["id"] for row in inbox] == [cdr.older_voicemail.pk]
    refused = client_for(clerk).get("/api/telephony/calls")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    refused = client_for(clerk).post(
        f"/api/telephony/voicemails/{cdr.voicemail.pk}/heard",
        json.dumps({}),
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_zip_helper_reads_back(cdr):
    """The ZIP is an ordinary archive a person can open (entries stored as they are)."""
    _name, archive, _count = recordings_export(actor=cdr.org.admin, ids=[cdr.rec_c1.pk])
    data = archive.read()
    archive.close()
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        (info,) = zipped.infolist()
        assert info.compress_type == zipfile.ZIP_STORED
        assert zipped.read(info) == cdr.rec_c1.data


def test_screen_pop_history_lists_calls_in_scope(cdr, clerk):
    from hotline.telephony.registrations import call_history

    items = call_history([cdr.customer.pk], cdr.org.agent_a1, 10)
    assert [item.url for item in items] == [f"/telephony/calls/{cdr.call_a1.pk}/"]
    assert items[0].source == "call" and items[0].detail == "13800138000 → 4001"
    assert len(call_history([cdr.customer.pk], cdr.org.lead_a, 10)) == 2
    assert call_history([cdr.customer.pk], clerk, 10) == []
