"""mockplex: a local-first mock and record/replay proxy for the Mogplex hosted API."""

__version__ = "0.1.0"
