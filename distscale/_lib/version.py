"""The version of distscale (one place; ``distscale.__version__`` re-exports it)."""

__version__ = "0.1.0"
