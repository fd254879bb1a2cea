from django.utils.translation import gettext_lazy as _

from hotline.web.menu import MenuItem, MenuSection

MENU = [
    MenuSection(
        key="telephony",
        label=_("Calls"),
        position=21,
        items=(
            MenuItem(_("Agent desktop"), "telephony:desk", "telephony.control_agent"),
            MenuItem(_("Wallboard"), "telephony:wallboard", "telephony.supervise_agent"),
            MenuItem(_("Call records"), "telephony:call_list", "telephony.view_call"),
            MenuItem(_("Recordings"), "telephony:recording_list", "telephony.view_recording"),
            MenuItem(_("Voicemail"), "telephony:voicemail_list", "telephony.view_voicemail"),
        ),
    ),
    MenuSection(
        key="telephony_config",
        label=_("Telephony"),
        position=850,
        items=(
            MenuItem(_("Queues"), "telephony:queue_list", "telephony.change_queue"),
            MenuItem(_("Agents"), "telephony:agent_list", "telephony.change_agent"),
            MenuItem(_("Extensions"), "telephony:extension_list", "telephony.change_extension"),
            MenuItem(_("Skills"), "telephony:skill_list", "telephony.change_skill"),
            MenuItem(
                _("Not-ready reasons"),
                "telephony:pause_reason_list",
                "telephony.change_pausereason",
            ),
            MenuItem(_("IVR flows"), "telephony:flow_list", "telephony.change_ivrflow"),
            MenuItem(
                _("Dialled numbers"), "telephony:number_list", "telephony.change_diallednumber"
            ),
            MenuItem(_("Business hours"), "telephony:hours_list", "telephony.change_businesshours"),
            MenuItem(_("SIP trunks"), "telephony:trunk_list", "telephony.change_siptrunk"),
        ),
    ),
]
