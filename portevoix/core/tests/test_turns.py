"""Turns: one thread at a time, new requests before answers, and a turn given up around blocking waits."""

from __future__ import annotations

import threading
import time

from portevoix.core import turns
from portevoix.core.turns import Turns


def test_one_thread_at_a_time():
    shared = Turns()
    inside, most = [0], [0]
    lock = threading.Lock()

    def work() -> None:
        for _ in range(50):
            with shared.turn():
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0)  # invite a switch while holding the turn
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most[0] == 1


def test_a_new_request_goes_before_an_answer():
    shared = Turns()
    order: list[str] = []
    shared.take()

    def waiter(name: str, *, new_request: bool) -> None:
        shared.take(new_request=new_request)
        order.append(name)
        shared.give()

    answer = threading.Thread(target=waiter, args=("answer",), kwargs={"new_request": False})
    answer.start()
    while not shared._answers:
        time.sleep(0.001)
    request = threading.Thread(target=waiter, args=("request",), kwargs={"new_request": True})
    request.start()
    while not shared._new:
        time.sleep(0.001)
    shared.give()
    answer.join(5)
    request.join(5)
    assert order == ["request", "answer"]  # the answer waited first but the new request went first


def test_released_lets_the_others_run_while_blocked():
    shared = Turns()
    ran: list[float] = []
    slept: list[float] = []

    def sleeper() -> None:
        with shared.turn():
            with turns.released():
                time.sleep(0.5)
            slept.append(time.monotonic())

    def quick() -> None:
        with shared.turn():
            ran.append(time.monotonic())

    first = threading.Thread(target=sleeper)
    first.start()
    time.sleep(0.05)
    second = threading.Thread(target=quick)
    second.start()
    second.join(5)
    first.join(5)
    assert len(ran) == 1
    assert len(slept) == 1
    assert ran[0] < slept[0]  # ran while the sleeper slept, not after it


def test_released_is_a_no_op_without_a_turn():
    with turns.released():
        pass
    shared = Turns()
    with shared.turn():
        pass
    with turns.released():  # the turn was given back: nothing to release
        pass
    assert not shared._busy
