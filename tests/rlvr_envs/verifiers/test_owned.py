"""`MadeOnUse`: made once on first use, closed only when made here, not pickled when made."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

from rlvr_envs.verifiers.owned import MadeOnUse


class Resource:
    made = 0

    def __init__(self) -> None:
        Resource.made += 1
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_made_once_on_first_use_even_by_many_threads():
    Resource.made = 0
    owned = MadeOnUse(Resource)
    assert Resource.made == 0
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: owned.get(), range(32)))
    assert Resource.made == 1 and all(item is got[0] for item in got)


def test_closes_what_it_made_and_makes_anew_after():
    owned = MadeOnUse(Resource)
    first = owned.get()
    owned.close()
    assert first.closed
    assert owned.get() is not first


def test_a_given_resource_is_its_owners_to_close():
    given = Resource()
    owned = MadeOnUse(Resource, given)
    assert owned.get() is given
    owned.close()
    assert not given.closed and owned.get() is given


def test_a_copy_makes_its_own_but_keeps_a_given_one():
    made = MadeOnUse(Resource)
    made.get()
    assert pickle.loads(pickle.dumps(made))._value is None
    given = MadeOnUse(Resource, Resource())
    assert isinstance(pickle.loads(pickle.dumps(given)).get(), Resource)
