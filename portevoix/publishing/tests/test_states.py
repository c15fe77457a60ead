"""The target state machine: property tests over random event sequences, and the table's own rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portevoix.publishing import states
from portevoix.publishing.models import TargetState
from portevoix.publishing.states import ALLOWED, EVENTS, PRE_PUBLISH, Event, IllegalTransition

S = TargetState
events = st.sampled_from(list(Event))
any_state = st.sampled_from(list(TargetState))
BOOKKEEPING = {Event.EDIT, Event.DELETE}


@settings(max_examples=400)
@given(start=any_state, sequence=st.lists(events, max_size=60))
def test_random_event_sequences_only_take_allowed_transitions(start, sequence):
    state = start
    for event in sequence:
        before = state
        try:
            state = states.apply(state, event)
        except IllegalTransition:
            assert before not in EVENTS[event][0]
            assert state == before  # a refused event changes nothing
            continue
        assert isinstance(state, TargetState)
        assert state in ALLOWED[before]
        states.require(before, state)  # the pairwise check agrees with the events


@settings(max_examples=300)
@given(sequence=st.lists(events, max_size=60))
def test_published_is_terminal_except_for_bookkeeping(sequence):
    state = S.PUBLISHED
    for event in sequence:
        if event in BOOKKEEPING:
            state = states.apply(state, event)
        else:
            with pytest.raises(IllegalTransition):
                states.apply(state, event)
        assert state == S.PUBLISHED


@settings(max_examples=400)
@given(start=any_state, sequence=st.lists(events, max_size=60))
def test_cancelled_is_only_entered_from_a_pre_publish_state(start, sequence):
    state = start
    for event in sequence:
        try:
            new = states.apply(state, event)
        except IllegalTransition:
            continue
        if new == S.CANCELLED and state != S.CANCELLED:
            assert state in PRE_PUBLISH
        state = new


@settings(max_examples=300)
@given(start=any_state, sequence=st.lists(events, max_size=60))
def test_a_post_that_may_be_on_the_network_becomes_due_again_only_through_the_engine_or_a_person(
    start, sequence
):
    """From a state where the network may hold the post, the way back to a claimable state is ``defer``
    (the engine, which reconciles before it sends), ``release`` (before any attempt, fence-checked) or a
    person's ``retry``."""
    state = start
    for event in sequence:
        try:
            new = states.apply(state, event)
        except IllegalTransition:
            continue
        if state in states.MAYBE_SENT and new in states.CLAIMABLE:
            assert event in {Event.DEFER, Event.RELEASE, Event.RETRY}
        state = new


def test_unconfirmed_is_left_only_by_a_person():
    leaving = {
        event for event, (sources, to) in EVENTS.items() if S.UNCONFIRMED in sources and to != S.UNCONFIRMED
    }
    assert leaving == {Event.RETRY, Event.MARK_PUBLISHED, Event.MARK_NOT_PUBLISHED}


def test_every_state_is_reachable_from_draft_and_can_reach_an_end():
    def reachable(start: TargetState) -> set[TargetState]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in ALLOWED[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert reachable(S.DRAFT) == set(TargetState)
    ends = {S.PUBLISHED, S.CANCELLED, S.FAILED}
    for state in TargetState:
        assert reachable(state) & ends, state


def test_require_refuses_what_no_event_allows():
    states.require(S.SCHEDULED, S.PUBLISHING)
    with pytest.raises(IllegalTransition) as refused:
        states.require(S.PUBLISHED, S.SCHEDULED)
    assert refused.value.status == 409
    with pytest.raises(IllegalTransition):
        states.require(S.PUBLISHING, S.CANCELLED)
    with pytest.raises(IllegalTransition):
        states.require(S.DRAFT, "nonsense")
    assert not states.allowed(S.FAILED, S.PUBLISHING)


def test_the_claim_takes_exactly_the_claimable_states():
    assert states.sources(Event.CLAIM) == {S.SCHEDULED, S.RETRY_WAIT}
    assert states.target_of(Event.CLAIM) == S.PUBLISHING
