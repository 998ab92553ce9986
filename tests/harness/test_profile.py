"""The Nsight Compute summary parser (the profiler itself needs a GPU; its output format does not)."""
from harness.profile import summarize_ncu_csv

NCU_RAW = '''==PROF== Connected to process 4242
==PROF== Profiling "relu_k" - 0: 0%....50%....100% - 9 passes
"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","dram__throughput.avg.pct_of_peak_sustained_elapsed","gpu__time_duration.sum","sm__warps_active.avg.pct_of_peak_sustained_active"
"","","","","","","","%","nsecond","%"
"0","4242","python3","127.0.0.1","relu_k(const float *, float *, long)","1","7","91.52","12544","78.31"
'''


def test_ncu_raw_csv_becomes_one_line_per_kernel():
    out = summarize_ncu_csv(NCU_RAW)
    assert out.startswith("relu_k(const float *, float *, long):")
    assert "achieved occupancy % 78.31" in out and "DRAM throughput % of peak 91.52" in out
    assert "duration (ns) 12544" in out and len(out.splitlines()) == 1


def test_no_csv_means_no_summary():
    assert summarize_ncu_csv("==ERROR== the profiler could not be loaded") == ""
