"""What a server that never records must not load: vcrpy's package import patches every
HTTP client it can find, which costs a start-up a tenth of a second or more."""

from __future__ import annotations

import os
import subprocess
import sys

from test_cli import REPO_ROOT
from vcr.record_mode import RecordMode

from mockplex.recording.modes import RECORD_MODES


def test_the_record_modes_offered_are_vcrpys_less_any():
    assert RECORD_MODES == tuple(mode.value for mode in (RecordMode.ONCE, RecordMode.NEW_EPISODES, RecordMode.ALL,
                                                         RecordMode.NONE))


def test_a_server_that_does_not_record_loads_no_vcrpy(tmp_path):
    code = ("import sys\n"
            "import mockplex.cli, mockplex.server\n"
            "from mockplex.app import build_app\n"
            "from mockplex.choices import Choices, assemble\n"
            "build_app(assemble(Choices(port=0)))\n"
            "print(sorted(name for name in sys.modules if name.split('.')[0] == 'vcr'))\n")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert loaded.stdout.strip() == "[]"
