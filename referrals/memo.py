"""Reference data looked up once per change (issue 14): an intake asks for the same timescales,
closure days and team managers from several places (the core, hub/ and ird/ receivers), and
each lookup was a query. Inside `one_change()`, the first answer is remembered until the block
ends; outside it, every call asks the database as before, so nothing is cached across changes
or processes and an edit in the admin is seen by the next one."""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_remembered: ContextVar[dict | None] = ContextVar("referrals_memo", default=None)


@contextmanager
def scoped(var: ContextVar, fresh: Callable[[], T]) -> Iterator[T | None]:
    """`var` set to `fresh()` for the block, unless an outer block set it: yields the new value,
    or None when nested (the outer block owns it and acts on it when it ends). What one change
    remembers (below), and the audit rows and deadlines it gathers, are kept this way."""
    if var.get() is not None:
        yield None
        return
    value = fresh()
    token = var.set(value)
    try:
        yield value
    finally:
        var.reset(token)


@contextmanager
def one_change():
    with scoped(_remembered, dict):
        yield


def remembering() -> bool:
    """Inside `one_change()`: worth fetching a whole small table once instead of one row."""
    return _remembered.get() is not None


def remembered(key: Hashable, look_up: Callable[[], T]) -> T:
    """`look_up()`, asked once per change. A None answer is not remembered (the caller may
    restore missing reference data and ask again)."""
    memo = _remembered.get()
    if memo is None:
        return look_up()
    if key not in memo:
        answer = look_up()
        if answer is None:
            return answer
        memo[key] = answer
    return memo[key]
