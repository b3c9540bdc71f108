"""The seed bootstrap (stratified by scale) and the seeds x examples bootstrap."""

from distscale.resampling.bootstrap import BootstrapResult, bootstrap, bootstrap_groups
from distscale.resampling.nested import NestedBootstrapResult, nested_bootstrap

__all__ = [
    "BootstrapResult",
    "NestedBootstrapResult",
    "bootstrap",
    "bootstrap_groups",
    "nested_bootstrap",
]
