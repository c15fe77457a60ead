"""The target state machine: every state change a target may go through, and nothing else.

Each change is an ``Event`` with the states it may start from and the one it leads to. Services and the
engine call ``require`` (or ``apply``) before they write, and build the ``state__in`` guards of their
conditional UPDATEs from ``sources``, so the database enforces the same table under concurrency.

The rules the property tests pin down:
- ``published`` is terminal: only bookkeeping events (an edit, a deletion on the network) touch a published
  target, and it stays published;
- ``cancelled`` is entered only from a state in which nothing can have reached the network
  (``PRE_PUBLISH``); a target claimed by a worker that has not started sending is first released;
- a target the network may have received is never sent again without a lookup (``unconfirmed`` leaves only
  through a person).
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _

from portevoix.core.errors import Conflict
from portevoix.publishing.models import TargetState

S = TargetState


class Event(StrEnum):
    SUBMIT = "submit"  # sent for approval
    APPROVE = "approve"
    REJECT = "reject"  # back to the writers
    SCHEDULE = "schedule"  # planned for a time (or planned again)
    UNSCHEDULE = "unschedule"  # back to draft
    CLAIM = "claim"  # a worker took it, with a lease
    TAKE_OVER = "take_over"  # the lease expired: another worker takes it (and reconciles first)
    RELEASE = "release"  # the worker gives it back before any attempt (rate limit, shutdown, withdrawal)
    SUCCEED = "succeed"  # the network has it (or a lookup found it)
    ACCEPT_PENDING = "accept_pending"  # the network accepted it and is still processing it
    CHECK = "check"  # a pending post checked again, still processing
    DEFER = "defer"  # a temporary problem: try again later
    FAIL = "fail"
    LOSE_TRACK = "lose_track"  # the outcome cannot be established: a person must look
    HAND_OVER = "hand_over"  # no publishing API: at its time, a person publishes it by hand
    CANCEL = "cancel"
    RETRY = "retry"  # a person asks for another try
    MARK_PUBLISHED = "mark_published"  # a person found it on the network (or published it by hand)
    MARK_NOT_PUBLISHED = "mark_not_published"  # a person checked: it is not there
    EDIT = "edit"  # bookkeeping on a published post
    DELETE = "delete"  # bookkeeping: deleted on the network (the target keeps its history)


PRE_PUBLISH = frozenset({S.DRAFT, S.AWAITING_APPROVAL, S.SCHEDULED, S.RETRY_WAIT})
CLAIMABLE = frozenset({S.SCHEDULED, S.RETRY_WAIT})
# Someone must act: shown on the "needs attention" list.
ATTENTION = frozenset({S.FAILED, S.UNCONFIRMED})
# The network may have the post: never send it again without a lookup or a person's decision.
MAYBE_SENT = frozenset({S.PUBLISHING, S.PENDING_REMOTE, S.UNCONFIRMED, S.PUBLISHED})

# event -> (states it may start from, the state it leads to)
EVENTS: dict[Event, tuple[frozenset[TargetState], TargetState]] = {
    Event.SUBMIT: (frozenset({S.DRAFT}), S.AWAITING_APPROVAL),
    Event.APPROVE: (frozenset({S.AWAITING_APPROVAL}), S.SCHEDULED),
    Event.REJECT: (frozenset({S.AWAITING_APPROVAL}), S.DRAFT),
    Event.SCHEDULE: (frozenset({S.DRAFT, S.SCHEDULED, S.CANCELLED}), S.SCHEDULED),
    Event.UNSCHEDULE: (frozenset({S.SCHEDULED}), S.DRAFT),
    Event.CLAIM: (CLAIMABLE, S.PUBLISHING),
    Event.TAKE_OVER: (frozenset({S.PUBLISHING}), S.PUBLISHING),
    Event.RELEASE: (frozenset({S.PUBLISHING}), S.SCHEDULED),
    Event.SUCCEED: (frozenset({S.PUBLISHING, S.PENDING_REMOTE}), S.PUBLISHED),
    Event.ACCEPT_PENDING: (frozenset({S.PUBLISHING}), S.PENDING_REMOTE),
    Event.CHECK: (frozenset({S.PENDING_REMOTE}), S.PENDING_REMOTE),
    Event.DEFER: (frozenset({S.PUBLISHING}), S.RETRY_WAIT),
    Event.FAIL: (frozenset({S.PUBLISHING, S.PENDING_REMOTE}), S.FAILED),
    Event.LOSE_TRACK: (frozenset({S.PUBLISHING, S.PENDING_REMOTE}), S.UNCONFIRMED),
    Event.HAND_OVER: (frozenset({S.PUBLISHING}), S.UNCONFIRMED),
    Event.CANCEL: (PRE_PUBLISH, S.CANCELLED),
    Event.RETRY: (frozenset({S.FAILED, S.UNCONFIRMED}), S.SCHEDULED),
    Event.MARK_PUBLISHED: (frozenset({S.UNCONFIRMED, S.FAILED}), S.PUBLISHED),
    Event.MARK_NOT_PUBLISHED: (frozenset({S.UNCONFIRMED}), S.FAILED),
    Event.EDIT: (frozenset({S.PUBLISHED}), S.PUBLISHED),
    Event.DELETE: (frozenset({S.PUBLISHED}), S.PUBLISHED),
}

# from -> every state it may go to (derived: the table above is the only source).
ALLOWED: dict[TargetState, frozenset[TargetState]] = {
    state: frozenset(to for sources_, to in EVENTS.values() if state in sources_) for state in TargetState
}


class IllegalTransition(Conflict):
    """A state change the machine does not allow (also a 409 Conflict for the API and the views)."""

    code = "illegal_transition"

    def __init__(self, current: str, wanted: str | Event) -> None:
        super().__init__(
            _("This post cannot go from “%(current)s” to “%(wanted)s”.")
            % {"current": _label(current), "wanted": _label(wanted)}
        )
        self.current = str(current)
        self.wanted = str(wanted)


def _label(value: str) -> str:
    try:
        return str(TargetState(value).label)
    except ValueError:
        return str(value)


def sources(event: Event) -> frozenset[TargetState]:
    """The states ``event`` may start from (for ``state__in`` guards)."""
    return EVENTS[event][0]


def target_of(event: Event) -> TargetState:
    return EVENTS[event][1]


def can(current: str, event: Event) -> bool:
    return current in EVENTS[event][0]


def apply(current: str, event: Event) -> TargetState:
    """The state after ``event``, or ``IllegalTransition``."""
    from_states, to = EVENTS[event]
    if current not in from_states:
        raise IllegalTransition(current, event)
    return to


def allowed(current: str, new: str) -> bool:
    try:
        return TargetState(new) in ALLOWED[TargetState(current)]
    except ValueError:
        return False


def require(current: str, new: str) -> None:
    """Refuse any change of state that no event allows."""
    if not allowed(current, new):
        raise IllegalTransition(current, new)
