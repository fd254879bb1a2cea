"""Routing decisions (TEL-3): which ready agent takes a waiting caller.
Pure functions over the engine's memory, so a decision costs microseconds."""

import bisect

from hotline.telephony.engine.state import AgentRun, CallRun, QueueRun

READY = "ready"


def waiting_key(call: CallRun) -> tuple:
    """Higher priority first (VIP levels), then who has waited longest."""
    return (-call.priority, call.first_queued_ms, call.seq)


def waiting_insert(queue: QueueRun, call: CallRun) -> None:
    keys = [waiting_key(c) for c in queue.waiting]
    queue.waiting.insert(bisect.bisect(keys, waiting_key(call)), call)


def qualifies(queue: QueueRun, agent: AgentRun) -> bool:
    if queue.skill_id is None:
        return True
    return agent.skills.get(queue.skill_id, 0) >= queue.min_skill_level


def candidates(queue: QueueRun, members, agents: dict[int, AgentRun]) -> list[AgentRun]:
    found = []
    for agent_id in members:
        agent = agents[agent_id]
        if agent.state == READY and qualifies(queue, agent):
            found.append(agent)
    return found


def _longest_idle(ready: list[AgentRun]) -> AgentRun:
    return min(ready, key=lambda a: (a.idle_since_ms, a.number))


def _fewest_calls(ready: list[AgentRun]) -> AgentRun:
    return min(ready, key=lambda a: (a.calls_taken, a.idle_since_ms, a.number))


def _best_skill(queue: QueueRun, ready: list[AgentRun]) -> AgentRun:
    if queue.skill_id is None:
        return _longest_idle(ready)
    return min(ready, key=lambda a: (-a.skills.get(queue.skill_id, 0), a.idle_since_ms, a.number))


def _round_robin(queue: QueueRun, ready: list[AgentRun]) -> AgentRun:
    """The next ready agent after the one served last, in member order."""
    order = sorted(ready, key=lambda a: (a.positions.get(queue.id, 0), a.number))
    last = queue.last_agent_id
    if last is None:
        return order[0]
    last_key = None
    for agent in order:
        if agent.id == last:
            last_key = (agent.positions.get(queue.id, 0), agent.number)
    if last_key is None:
        return order[0]
    for agent in order:
        if (agent.positions.get(queue.id, 0), agent.number) > last_key:
            return agent
    return order[0]


def choose_agent(
    queue: QueueRun, call: CallRun, members, agents: dict[int, AgentRun], now_ms: int
) -> AgentRun | None:
    """The agent ``call`` should ring now, or None to keep waiting."""
    ready = candidates(queue, members, agents)
    if queue.strategy == "sticky" and call.last_agent_id in members:
        last = agents[call.last_agent_id]
        if last.state == READY and qualifies(queue, last):
            return last
        if now_ms < call.sticky_until_ms and last.state != "logged_out":
            return None  # the agent who served them last will be free soon
    if not ready:
        return None
    if queue.strategy == "round_robin":
        return _round_robin(queue, ready)
    if queue.strategy == "fewest_calls":
        return _fewest_calls(ready)
    if queue.strategy == "skills":
        return _best_skill(queue, ready)
    return _longest_idle(ready)
