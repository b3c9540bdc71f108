"""What every topic of distscale shares (private to the package).

* :mod:`~distscale._lib.validation`: argument checks, each rule written once;
* :mod:`~distscale._lib.results`: the result base and :class:`ConfidenceInterval`;
* :mod:`~distscale._lib.warnings`: the warning classes.
"""
