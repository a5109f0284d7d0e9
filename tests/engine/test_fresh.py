"""The sandbox's fresh Python (engine/fresh.py) behaves as ``python -c script args`` would.

Run in a new interpreter so that the server forks from a process that ran no TensorFlow op,
as the sandboxed child does.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import json, sys
    from autograder import runtime
    from autograder.engine import fresh

    fresh.start_server(keep_closed=[])
    STUDENT_SECRET = "set after the fork"  # the server forked before: its children cannot see it
    cases = {
        "exit code and stderr": ("import sys\\nprint('to stderr', file=sys.stderr)\\nsys.exit(3)", [], 60),
        "argv": ("import sys\\nsys.exit(int(sys.argv[1]) + len(sys.argv))", ["4", "x"], 60),
        "exception": ("raise ValueError('boom')", [], 60),
        "no parent globals": ("print(STUDENT_SECRET)", [], 60),
        "stdout is not stderr": ("print('only stdout')", [], 60),
        "timeout": ("import time\\ntime.sleep(30)", [], 0.5),
        "exit with text": ("raise SystemExit('bye')", [], 60),
    }
    print(json.dumps({k: runtime.run_fresh_python(*v) for k, v in cases.items()}))
""")


def test_fresh_python_runs_scripts_like_a_new_interpreter():
    import json

    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["exit code and stderr"] == [3, "to stderr\n"]
    assert got["argv"] == [7, ""]  # sys.argv == ["-c", "4", "x"]
    assert got["exception"][0] == 1 and "ValueError: boom" in got["exception"][1]
    assert got["no parent globals"][0] == 1 and "NameError" in got["no parent globals"][1]
    assert got["stdout is not stderr"] == [0, ""]
    assert got["timeout"][0] == -9
    assert got["exit with text"] == [1, "bye\n"]
