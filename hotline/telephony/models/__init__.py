from hotline.telephony.models.agents import (
    Agent,
    AgentSkill,
    AgentState,
    AgentStateChange,
    Extension,
    PauseReason,
    RecordingPolicy,
    Skill,
    WrapUpCode,
)
from hotline.telephony.models.calls import Call, CallLeg, HangupSide, Recording, Voicemail
from hotline.telephony.models.flows import BusinessHours, DialledNumber, IvrFlow
from hotline.telephony.models.queues import OverflowAction, Queue, QueueMember, Strategy
from hotline.telephony.models.trunks import SipTrunk

__all__ = [
    "Agent",
    "AgentSkill",
    "AgentState",
    "AgentStateChange",
    "BusinessHours",
    "Call",
    "CallLeg",
    "DialledNumber",
    "Extension",
    "HangupSide",
    "IvrFlow",
    "OverflowAction",
    "PauseReason",
    "Queue",
    "QueueMember",
    "Recording",
    "RecordingPolicy",
    "SipTrunk",
    "Skill",
    "Strategy",
    "Voicemail",
    "WrapUpCode",
]
