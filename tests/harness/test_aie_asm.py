"""Static V-slot analysis of AIE assembly (harness.aie_asm) on a hand-written Peano-style listing."""
from pathlib import Path

from harness.aie_asm import analyse, bundle_uses_vector_slot

LISTING = (Path(__file__).parent / "data" / "aie2_kernels.s").read_text()


def test_vector_slot_is_read_from_mnemonics_and_explicit_nopv_wins():
    assert bundle_uses_vector_slot(["vlda wl4, [p0], #32", "nopb", "vmac.f bmh2, bmh2, x2, x4, r4"])
    assert not bundle_uses_vector_slot(["vlda wl0, [p0, #0]", "vldb wl1, [p1]", "vst wl0, [p2]", "vmov x0, x2"])
    assert not bundle_uses_vector_slot(["vadd.f bml0, bml0, bml1, r5", "nopv"])  # the listing says V is empty
    assert not bundle_uses_vector_slot(["mov r1, #0"]) and not bundle_uses_vector_slot([])


def test_scalar_kernel_has_no_vector_bundles_and_its_branch_loop_is_found():
    scalar = analyse(LISTING).functions[0]
    assert scalar.name == "_Z10relu_int8PaS_i"
    assert scalar.bundles == 13 and scalar.vector_bundles == 0
    assert scalar.loop_bundles == 7 and scalar.loop_vector_share == 0.0  # .LBB0_1 .. jnz (delay slots left out)


def test_vector_kernel_counts_v_slot_bundles_in_its_hardware_loop():
    res = analyse(LISTING)
    vec = res.functions[1]
    assert vec.name == "_Z14vectoradd_bf16PDF16bS_S_i"
    assert (vec.bundles, vec.vector_bundles) == (9, 2)
    assert (vec.loop_bundles, vec.loop_vector_bundles) == (4, 2) and vec.loop_vector_share == 0.5
    assert res.bundles == 22 and res.vector_bundles == 2
    assert "2/9 bundles" in res.summary() and "50% of 4 in loops" in res.summary()
    assert res.resources()[1] == {"kernel": vec.name, "bundles": 9, "vector_bundles": 2, "loop_bundles": 4,
                                  "loop_vector_bundles": 2}


def test_no_function_no_bundles():
    assert analyse("\t.text\n\tnop\n").bundles == 0
    assert analyse("").summary().endswith("no function found")
