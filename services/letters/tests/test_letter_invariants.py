"""Property: whatever statuses arrive, in whatever order, a letter is sent only while its service is
active in letters' copy, at most once, and released letters go out in arrival order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.payments import StatusReason
from autoletter.letters.domain import decisions
from autoletter.letters.domain.model import HoldLimits, LetterStatus, OpenLetter, StatusCopy, Transition

LIMITS = HoldLimits()
TERMINAL = {LetterStatus.SENT, LetterStatus.REJECTED, LetterStatus.EXPIRED, LetterStatus.CANCELLED}

statuses = st.tuples(
    st.sampled_from(ServiceStatus), st.sampled_from(StatusReason), st.sampled_from([None, ["email"]])
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("new"), st.none()),
        st.tuples(st.just("status"), statuses),
        st.tuples(st.just("dispatch"), st.integers(min_value=1, max_value=5)),
        st.tuples(st.just("wait"), st.sampled_from([timedelta(minutes=11), timedelta(days=31)])),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=20)),
    ),
    max_size=40,
)


class World:
    """Applies domain decisions the way the service layer does, and checks every step."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.copy: StatusCopy | None = None
        self.letters: dict[UUID, OpenLetter] = {}
        self.sent: list[UUID] = []
        self.seq = 0

    def apply(self, transitions: list[Transition]) -> None:
        for t in transitions:
            old = self.letters[t.letter_id]
            assert old.status not in TERMINAL, "a finished letter never changes"
            self.letters[t.letter_id] = OpenLetter(
                old.letter_id,
                old.seq,
                t.status,
                t.reason,
                t.held_since or old.held_since,
                t.hold_expires_at if t.status is LetterStatus.HELD else None,
            )

    def open(self) -> list[OpenLetter]:
        return [x for x in self.letters.values() if x.status not in TERMINAL]

    def new(self) -> None:
        self.seq += 1
        d = decisions.decide_new_letter(self.copy)
        letter_id = uuid4()
        self.letters[letter_id] = OpenLetter(letter_id, self.seq, d.status, d.reason)
        if d.status is LetterStatus.HELD:
            self.apply([decisions.hold(letter_id, d.reason, self.now, LIMITS)])

    def status(self, status: ServiceStatus, reason: StatusReason, missing: list[str] | None) -> None:
        self.copy = decisions.status_copy(self.copy, status, reason, missing)
        transitions = decisions.on_status_changed(self.copy, self.open(), self.now, LIMITS)
        released = [self.letters[t.letter_id].seq for t in transitions if t.status is LetterStatus.ACCEPTED]
        assert released == sorted(released), "released in arrival order"
        self.apply(transitions)

    def dispatch(self, n: int) -> None:
        ready = sorted((x for x in self.open() if decisions.may_dispatch(self.copy, x)), key=lambda x: x.seq)
        for letter in ready[:n]:
            assert self.copy is not None and self.copy.status is ServiceStatus.ACTIVE
            assert letter.letter_id not in self.sent, "sent once"
            self.sent.append(letter.letter_id)
            self.apply([Transition(letter.letter_id, LetterStatus.SENT, None)])

    def check(self) -> None:
        if self.copy is None or self.copy.status is not ServiceStatus.ACTIVE:
            assert not [x for x in self.open() if x.status is LetterStatus.ACCEPTED], (
                "nothing is waiting to go out while the service is not active"
            )


@settings(max_examples=300, deadline=None)
@given(operations)
def test_a_letter_is_never_sent_while_its_service_is_not_active(ops) -> None:
    world = World()
    for op, arg in ops:
        if op == "new":
            world.new()
        elif op == "status":
            world.status(*arg)
        elif op == "dispatch":
            world.dispatch(arg)
        elif op == "wait":
            world.now += arg
            world.apply(decisions.expire(world.open(), world.now))
        elif op == "cancel" and world.letters:
            letter = sorted(world.letters.values(), key=lambda x: x.seq)[arg % len(world.letters)]
            if letter.status is LetterStatus.HELD:
                world.apply([decisions.cancel(letter)])
        world.check()
    assert len(world.sent) == len(set(world.sent))
