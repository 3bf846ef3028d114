"""Background warm-up: loads the kernels off the request path; frees full collections from the imports."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_warmup_with_tune_gc_freezes_the_warm_process_and_collects_young_objects_less_often() -> None:
    # In a child process: freezing is process-wide, and pytest's own objects must not be frozen.
    code = textwrap.dedent(
        """
        import gc
        from midstream_mcp.core.warmup import start_warmup
        plain = start_warmup(("midstream_mcp.core.metrics",))
        assert plain.wait(60) and plain.status == "done" and gc.get_freeze_count() == 0
        frozen = start_warmup(("midstream_mcp.core.metrics", "no.such.module"), tune_gc=True)
        assert frozen.wait(60) and frozen.status == "failed"  # a failed module is reported, not raised
        assert gc.get_freeze_count() > 1000  # the imported modules and their objects
        assert gc.get_threshold()[0] == 10_000
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
