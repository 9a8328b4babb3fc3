"""The GIL is released while generating, and a contiguous CPU tensor is
filled without a copy."""

import resource
import sys
import threading
import time

import nninit
import pytest

torch = pytest.importorskip("torch")


def test_gil_is_released_while_generating():
    # A Python loop on the main thread keeps counting while another thread
    # fills 2^26 floats. If the fill held the GIL, the loop would be frozen
    # for the whole fill (it could only run in the ~1 ms before the thread
    # enters Rust). Threshold: 10% of the rate the loop reaches alone, over
    # the fill's duration; a held GIL gives about 1%.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        t = torch.empty(2**26)
        t.zero_()
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.05:
            n += 1
        rate = n / (time.perf_counter() - t0)
        worker = threading.Thread(target=lambda: nninit.normal_(t, seed=1))
        count = 0
        start = time.perf_counter()
        worker.start()
        while worker.is_alive():
            count += 1
        elapsed = time.perf_counter() - start
        assert t.abs().sum() > 0
        assert elapsed > 0.005, "fill too quick to observe"
        assert count > 0.1 * rate * elapsed, (count, rate * elapsed)
    finally:
        sys.setswitchinterval(old)


def test_no_copy_for_contiguous_cpu_tensors():
    # ru_maxrss is the peak resident set in KiB (Linux): filling a 256 MiB
    # tensor that is already resident must not raise the peak by a copy's size
    if sys.platform != "linux":
        pytest.skip("ru_maxrss is in KiB on Linux only")
    t = torch.empty(2**26)  # 256 MiB
    t.fill_(1.0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    nninit.kaiming_uniform_(t.view(2**13, 2**13), seed=2)
    nninit.normal_(t, seed=3)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib <= 64, f"peak memory grew by {grown_mib:.0f} MiB"
