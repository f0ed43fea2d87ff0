from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.metrics.connectors.servers import ImapServer, JsonServer, imap_server, json_server


@pytest.fixture
def http_server() -> Iterator[JsonServer]:
    with json_server() as server:
        yield server


@pytest.fixture
def imap(tmp_path: Path) -> Iterator[ImapServer]:
    with imap_server(tmp_path) as server:
        yield server
