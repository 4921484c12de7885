"""What both cluster modules share; each defines its own module-scoped `cluster`."""

from __future__ import annotations

import pytest

from stack.cluster import Cluster


@pytest.fixture
def healthy(cluster: Cluster) -> Cluster:
    """The cluster, once three members run with a leader, a sync standby and no lag."""
    cluster.wait_healthy(60)
    return cluster
