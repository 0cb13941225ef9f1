"""The owner's list costs the same at row 100 and at row 100,000 (PostgreSQL, EXPLAIN ANALYZE).

100,000 classes are written straight into a fresh database; the worker's own page statements
are explained with their buffers. Following a page URL (a cursor) is an index range scan that
stops after `limit` rows, without a sort, reading the same number of blocks deep in the list
as near its start. The control, the same page asked by number alone (the offset path), reads
every id it skips: the count of work is what tells the two apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, Select, text

from harness.databases import fresh_database

pytestmark = pytest.mark.integration

ROWS = 100_000
LIMIT = 25
SEARCH = {"graph": "group_owner", "state": "tentative"}


@pytest.fixture(scope="module")
def engine(workdir: Path) -> Iterator[Engine]:
    from worker.config import Settings
    from worker.storage.engine import engine_for
    from worker.storage.migrate import upgrade_to_head

    with fresh_database("postgresql", workdir) as url:
        engine = engine_for(Settings(database_url=url))
        upgrade_to_head(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO bookings (id, graph, state, created_at, updated_at)"
                    " SELECT gen_random_uuid(), 'group_owner',"
                    " CASE WHEN g % 10 = 0 THEN 'cancelled' ELSE 'tentative' END,"
                    " timestamptz '2026-01-01' + g * interval '1 second',"
                    " timestamptz '2026-01-01' + g * interval '1 second'"
                    " FROM generate_series(1, :rows) AS g"
                ),
                {"rows": ROWS},
            )
            conn.execute(text("ANALYZE bookings"))
        yield engine
        engine.dispose()


def explained(engine: Engine, statement: Select[Any]) -> dict[str, Any]:
    with engine.connect() as conn:
        compiled = statement.compile(dialect=conn.dialect)
        sql = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + str(compiled)
        [[plan]] = conn.exec_driver_sql(sql, compiled.params).all()
    top: dict[str, Any] = plan[0]["Plan"]
    return top


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def blocks(plan: dict[str, Any]) -> int:
    return int(plan["Shared Hit Blocks"]) + int(plan["Shared Read Blocks"])


def row_at(engine: Engine, position: int) -> tuple[datetime, UUID]:
    """(created_at, id) of the matching row at `position` (0-based): a page's cursor."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT created_at, id FROM bookings WHERE graph = 'group_owner' AND"
                " state = 'tentative' ORDER BY created_at, id OFFSET :position LIMIT 1"
            ),
            {"position": position},
        ).one()
    return row.created_at, row.id


def test_a_page_after_a_cursor_reads_the_same_blocks_at_row_100_and_row_90000(
    engine: Engine,
) -> None:
    from worker.storage.search_queries import matching, page_after, page_at

    where = matching("postgresql", SEARCH)
    matches = ROWS - ROWS // 10
    near, deep = row_at(engine, 99), row_at(engine, matches - 100)

    shallow_plan = explained(engine, page_after(where, near, LIMIT))
    deep_plan = explained(engine, page_after(where, deep, LIMIT))
    offset_near = explained(engine, page_at(where, 100, LIMIT))
    offset_deep = explained(engine, page_at(where, matches - 100, LIMIT))

    print(
        f"\nowner list, {matches} matching of {ROWS} rows, {LIMIT} a page (shared blocks):"
        f"\n  cursor page at row 100: {blocks(shallow_plan)}"
        f"\n  cursor page at row {matches - 100}: {blocks(deep_plan)}"
        f"\n  page by number (offset) at row 100: {blocks(offset_near)}"
        f"\n  page by number (offset) at row {matches - 100}: {blocks(offset_deep)}"
        f"\n  cursor pages' index: {[n.get('Index Name') for n in nodes(deep_plan)]}"
    )
    for plan in (shallow_plan, deep_plan):
        kinds = [node["Node Type"] for node in nodes(plan)]
        assert "Sort" not in kinds and "Seq Scan" not in kinds, kinds
        [scan] = [node for node in nodes(plan) if node["Node Type"] == "Index Scan"]
        # Either index of migration 0006 that ends in (created_at, id) serves the order.
        assert scan["Index Name"].endswith("created_at_id"), scan["Index Name"]
        assert scan["Actual Rows"] <= LIMIT
        assert scan.get("Rows Removed by Filter", 0) <= LIMIT
    assert blocks(deep_plan) <= blocks(shallow_plan) + 3
    # The control: by number alone, the deep page reads the ids it skips.
    skipped = max(node["Actual Rows"] for node in nodes(offset_deep))
    assert skipped >= matches - 100
    assert blocks(offset_deep) > 20 * blocks(deep_plan)
