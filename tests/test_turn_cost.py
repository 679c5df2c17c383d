"""A turn's cost does not grow with the conversation: the same SQL statements at turn 5 and turn 50."""

from __future__ import annotations

from support_tui.core.events import TurnCompleted
from tests.conftest import run

MESSAGES = (
    "Where is my order ORD-67890?",
    "ok thanks",
    "What is your return window?",
    "Which payment methods do I have on file?",
    "Are the wireless headphones compatible with iPhone?",
)


async def _measured_turn(engine, conv_id: str, text: str) -> tuple[int, int]:
    db = engine.store.db
    statements, rows = db.statements, db.rows_read
    events = await run(engine, conv_id, text)
    assert isinstance(events[-1], TurnCompleted) and events[-1].status == "completed"
    return db.statements - statements, db.rows_read - rows


async def test_statements_and_rows_read_per_turn_do_not_depend_on_earlier_turns(engine):
    conv = await engine.open_conversation("cust_12345", new=True)
    counts: dict[int, tuple[int, int]] = {}
    for turn in range(1, 51):
        text = MESSAGES[turn % len(MESSAGES)]
        measured = await _measured_turn(engine, conv.id, text)
        if turn in (5, 25, 50):
            counts[turn] = measured
    # The same message at turns 5, 25 and 50: the same statements. Rows read are bounded by the
    # history window (full from turn 10 on), not by how many turns came before.
    assert counts[5][0] == counts[25][0] == counts[50][0], counts
    assert counts[50][1] <= counts[25][1] + 2, counts


async def test_stored_state_stays_small(engine):
    conv = await engine.open_conversation("cust_12345", new=True)
    sizes = []
    for turn in range(40):
        await run(engine, conv.id, MESSAGES[turn % len(MESSAGES)])
        sizes.append(len(str((await engine.get_conversation(conv.id)).state)))
    assert max(sizes[20:]) <= max(sizes[:20]) * 1.2, sizes
