"""What the record flags offer, spelled without importing vcrpy, whose package import (it
patches every HTTP client it finds) a server that never records should not pay for."""

from __future__ import annotations

DEFAULT_UPSTREAM = "https://mogplex.com"
# vcrpy's RecordMode values less ANY, which mockplex does not offer, in the order the help
# lists them (tests/test_lazy_imports.py holds them to vcrpy's).
RECORD_MODES = ("once", "new_episodes", "all", "none")
