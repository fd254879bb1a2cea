"""The supervisors' wallboard (REP-1, TEL-8): queue figures and agents'
states live, with the supervisor's controls (force an agent's state; listen,
whisper or barge on a live call). ``telephony/wallboard.js`` draws it from
``GET /api/telephony/queues/stats``, ``/agents`` and ``/live-calls`` and the
``/ws/events/`` stream; this view renders the shell with the URLs and the
translated strings the script uses. ``?large=1`` is the wall-screen mode."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hotline.telephony.models import AgentState, Call
from hotline.web.views.common import require_view

SUPERVISE = "telephony.supervise_agent"

WALLBOARD_URLS = {
    "stats": "/api/telephony/queues/stats",
    "agents": "/api/telephony/agents",
    "live_calls": "/api/telephony/live-calls",
    "api": "/api/telephony/",
    "events": "/ws/events/",
}


def wallboard_strings() -> dict:
    """Every string the wallboard script shows, in the request's language."""
    return {
        "agent_states": {value: str(label) for value, label in AgentState.choices},
        "call_states": {value: str(label) for value, label in Call.State.choices},
        "no_queues": _("No active queues."),
        "no_agents": _("No agents in your scope."),
        "no_calls": _("No calls in progress."),
        "waiting": _("Waiting"),
        "longest_wait": _("Longest wait"),
        "service_level": _("Service level"),
        "abandon_rate": _("Abandon rate"),
        "answered_today": _("Answered today"),
        "agents_ready": _("Ready / logged in"),
        "ready": _("Ready"),
        "not_ready": _("Not ready"),
        "log_out": _("Log out of queues"),
        "listen": _("Listen in"),
        "whisper": _("Whisper"),
        "barge": _("Barge in"),
        "monitor_started": _("Your phone rings; pick it up to join the call."),
        "connection_lost": _("Connection lost, reconnecting…"),
        "request_failed": _("The request failed. Try again."),
        "none": _("None"),
    }


@never_cache
@require_safe
@login_required
def wallboard(request):
    require_view(request.user, SUPERVISE)
    large = request.GET.get("large") == "1"
    context = {
        "strings": wallboard_strings(),
        "wallboard_urls": WALLBOARD_URLS,
        "large": large,
    }
    return render(request, "telephony/wallboard.html", context)


urlpatterns = [path("wallboard/", wallboard, name="wallboard")]
