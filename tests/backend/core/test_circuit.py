"""The circuit breaker: after a failure, calls are skipped for a pause; then one call tries again."""

from __future__ import annotations

import pytest

from backend.core.circuit import Circuit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def circuit(clock: Clock) -> Circuit:
    return Circuit(pause_seconds=5, clock=clock)


def test_a_new_circuit_lets_every_call_through(circuit: Circuit) -> None:
    assert [circuit.allows() for _ in range(3)] == [True, True, True]
    assert not circuit.is_open


def test_after_a_failure_calls_are_skipped_until_the_pause_is_over(circuit: Circuit, clock: Clock) -> None:
    circuit.failed()
    assert circuit.is_open
    clock.now += 4.9
    assert not circuit.allows()
    clock.now += 0.1
    assert circuit.allows()


def test_only_one_call_tries_again_after_the_pause(circuit: Circuit, clock: Clock) -> None:
    circuit.failed()
    clock.now += 5
    assert [circuit.allows() for _ in range(3)] == [True, False, False]


def test_a_trial_that_fails_opens_the_circuit_for_another_pause(circuit: Circuit, clock: Clock) -> None:
    circuit.failed()
    clock.now += 5
    assert circuit.allows()
    circuit.failed()
    clock.now += 4.9
    assert not circuit.allows()


def test_a_trial_that_succeeds_closes_the_circuit(circuit: Circuit, clock: Clock) -> None:
    circuit.failed()
    clock.now += 5
    assert circuit.allows()
    circuit.succeeded()
    assert not circuit.is_open
    assert [circuit.allows() for _ in range(3)] == [True, True, True]
