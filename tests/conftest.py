"""pytest configuration: hypothesis runs derandomised in CI, so a CI run is repeatable."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
