"""core.pool.ModelPool: bounded, shared, thread-safe checkouts of compiled models."""
import threading
import time

import pytest

from core.pool import ModelPool


class Built:
    def __init__(self, arg):
        self.arg, self.users = arg, 0


def test_reuses_a_returned_model_and_builds_one_per_concurrent_user():
    pool = ModelPool(Built, capacity=4)
    with pool.checkout("a", 1) as m1:
        pass
    with pool.checkout("a", 2) as m2:
        assert m2 is m1 and m2.arg == 1          # the idle model, not a new build
    with pool.checkout("a", 1) as x, pool.checkout("a", 1) as y:
        pass
    # the same thread asking twice gets the same model (nested use), so still one build
    assert x is y and pool.builds == 1
    assert len(pool) == 1 and pool.idle_keys() == ["a"]


def test_never_more_than_capacity_models_and_no_model_used_twice_at_once():
    pool, lock, inside, peak = ModelPool(Built, capacity=2), threading.Lock(), set(), [0]
    errors = []

    def work(key):
        for _ in range(20):
            with pool.checkout(key, key) as m:
                with lock:
                    if id(m) in inside:
                        errors.append("a model was checked out twice at once")
                    inside.add(id(m))
                    peak[0] = max(peak[0], len(pool))
                time.sleep(0.001)
                with lock:
                    inside.discard(id(m))

    threads = [threading.Thread(target=work, args=(k,)) for k in "aabbc"]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert not errors and not any(t.is_alive() for t in threads)
    assert peak[0] <= 2 and len(pool) <= 2


def test_full_pool_replaces_the_oldest_idle_model_of_another_structure():
    pool = ModelPool(Built, capacity=2)
    for key in ("a", "b", "c"):
        with pool.checkout(key, key):
            pass
    assert pool.idle_keys() == ["b", "c"] and pool.builds == 3


def test_a_waiting_checkout_gets_the_model_when_it_is_returned():
    pool, got = ModelPool(Built, capacity=1), []
    with pool.checkout("a", 1) as first:
        t = threading.Thread(target=lambda: got.append(pool.checkout("a", 1).__enter__()))
        t.start()
        time.sleep(0.05)
        assert not got                            # waits: the only model is in use
    t.join(5)
    assert got == [first]


def test_a_failed_build_frees_its_place():
    def factory(arg):
        if arg == "bad":
            raise RuntimeError("no model")
        return Built(arg)

    pool = ModelPool(factory, capacity=1)
    with pytest.raises(RuntimeError):
        with pool.checkout("a", "bad"):
            pass
    with pool.checkout("a", "ok") as m:          # the place is free again: no deadlock
        assert m.arg == "ok"
    assert len(pool) == 1


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity"):
        ModelPool(Built, capacity=0)
