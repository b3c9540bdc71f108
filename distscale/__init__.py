"""distscale: distributional scaling analysis of seed populations.

How are the outcomes of many training seeds distributed at each scale, and
how does that distribution change as models grow?
"""

from distscale._warnings import DegenerateDataWarning, DroppedRowsWarning
from distscale.bootstrap import BootstrapResult, bootstrap
from distscale.population import Population, as_population
from distscale.results import ConfidenceInterval

__version__ = "0.1.0"

__all__ = [
    "BootstrapResult",
    "ConfidenceInterval",
    "DegenerateDataWarning",
    "DroppedRowsWarning",
    "Population",
    "__version__",
    "as_population",
    "bootstrap",
]
