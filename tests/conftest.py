"""Test configuration: hypothesis profiles chosen with the HYPOTHESIS_PROFILE variable.

``dev`` (default) is quick, ``ci`` is what ``.ci/run`` uses (derandomized so CI is
reproducible, bounded so the whole suite stays well under 10 minutes on 2 cores), and
``thorough`` is for a long local run before a release.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
