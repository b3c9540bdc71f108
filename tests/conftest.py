"""pytest configuration shared by all tests.

Hypothesis runs derandomised in CI, so a CI run is repeatable; the trainer tests
share a fixture that pins torch to one thread.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="module")
def torch_one_thread():
    """Tiny models run fastest on one thread; avoids oversubscription under pytest -n 2."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
