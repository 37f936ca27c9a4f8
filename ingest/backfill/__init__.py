"""Backfills: what a data migration added, filled in for the rows stored before it by the next `nofs ingest`
(ingest/backfill/protocol.py). The next one is a class in a module here, and a line below.

`nofs ingest` runs these in this order, after the releases and their attribution, and its summary line says what
each did in this order."""

from typing import Any, Final

from ingest.backfill.context import ContextBackfill
from ingest.backfill.fixes import FixesBackfill
from ingest.backfill.protocol import Backfill

REGISTERED: Final[tuple[Backfill[Any, Any], ...]] = (ContextBackfill(), FixesBackfill())
