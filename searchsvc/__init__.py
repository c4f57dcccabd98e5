"""searchsvc: ranked, typo-tolerant search over second-hand instrument listings."""

__version__ = "0.1.0"
