"""distscale's test suite (a package, so tests can share ``tests._helpers``)."""
