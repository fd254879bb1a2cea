"""The agent desktop (TEL-1, TEL-2, CUS-4, CB-4): one page an agent keeps open
all day. The softphone bar, the screen pop and the lists of callbacks and
voicemail are drawn by ``telephony/desk.js`` from the agent snapshot
(``GET /api/telephony/agent``) and the ``/ws/events/`` stream; this view only
renders the shell with the URLs and the translated strings the script uses.
With the `sip` driver, an agent on a browser softphone extension also gets
the call's audio in the page (WebRTC, ``POST /api/telephony/agent/webrtc``)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hotline.web.views.common import require_view

CONTROL_AGENT = "telephony.control_agent"


def desk_strings() -> dict[str, str]:
    """Every string the desktop script shows, in the request's language."""
    return {
        "logged_out": _("Logged out"),
        "ready": _("Ready"),
        "not_ready": _("Not ready"),
        "ringing": _("Ringing"),
        "talking": _("Talking"),
        "on_hold": _("On hold"),
        "after_call": _("After-call work"),
        "no_agent": _("You are not set up as an agent. Ask an administrator."),
        "inbound": _("Inbound call"),
        "outbound": _("Outbound call"),
        "muted": _("Muted"),
        "recording": _("Recording"),
        "conference": _("Conference"),
        "consulting": _("Consulting %(to)s (%(state)s)"),
        "consult_ringing": pgettext("consultation", "ringing"),
        "consult_connected": pgettext("consultation", "connected"),
        "queue": _("Queue"),
        "ends_in": _("Ends in %(time)s"),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "hold": _("Hold"),
        "unhold": _("Unhold"),
        "hangup": _("Hang up"),
        "decline": _("Decline"),
        "dial": _("Dial"),
        "send_tones": _("Send tones"),
        "connection_lost": _("Connection lost, reconnecting…"),
        "request_failed": _("The request failed. Try again."),
        "unknown_number": _("Unknown number"),
        "invalid_number": _("Not a valid number"),
        "blacklisted": _("Blacklisted number"),
        "blacklist_reports": _("%(count)s reports"),
        "refused_now": _("Calls from this number are refused now."),
        "no_customer": _("No customer has this number."),
        "new_customer": _("New customer"),
        "more_customers": _("More customers share this number; only the first ones are shown."),
        "open_customer": _("Open customer"),
        "level": _("Level"),
        "owner": _("Owner"),
        "tags": _("Tags"),
        "points": _("Points"),
        "purchases": _("Purchases"),
        "total_spend": _("Total spend"),
        "last_purchase": _("Last purchase"),
        "segment": _("Segment"),
        "low_credit": _("Low credit"),
        "history": _("Latest history"),
        "no_history": _("No history yet."),
        "companies": _("Companies"),
        "contacts": _("Contacts"),
        "no_callbacks": _("No callbacks for you."),
        "no_voicemail": _("No voicemail."),
        "overdue": _("Overdue"),
        "unheard": _("Unheard"),
        "listen": _("Listen"),
        "dialled": _("Dialled %(number)s"),
        "none": _("None"),
        "audio_connecting": _("Connecting browser audio…"),
        "audio_connected": _("Browser audio connected"),
        "audio_not_connected": _("Browser audio not connected: %(reason)s"),
        "audio_unsupported": _(
            "this browser cannot use the microphone on this page (HTTPS needed)"
        ),
        "audio_no_microphone": _("the microphone is not allowed or not found"),
        "audio_lost": _("the connection was lost"),
        "audio_retrying": _("retrying…"),
    }


@never_cache
@require_safe
@login_required
def desk(request):
    require_view(request.user, CONTROL_AGENT)
    urls = {
        "agent": "/api/telephony/agent",
        "api": "/api/telephony/",
        "screen_pop": "/api/customers/screen-pop",
        "callbacks": "/api/callbacks/mine",
        "voicemails": "/api/telephony/voicemails",
        "webrtc": "/api/telephony/agent/webrtc",
        "events": "/ws/events/",
        "order_new": reverse("orders:create"),
        "customer_new": reverse("customers:create"),
    }
    context = {
        "strings": desk_strings(),
        "desk_urls": urls,
        "default_extension": _default_extension(request.user),
        "telephony_driver": settings.TELEPHONY["DRIVER"],
    }
    return render(request, "telephony/desk.html", context)


def _default_extension(user) -> str:
    from hotline.telephony.models import Agent

    agent = Agent.objects.filter(user=user).select_related("default_extension").first()
    if agent is None or agent.default_extension is None:
        return ""
    return agent.default_extension.number


urlpatterns = [path("desk/", desk, name="desk")]
