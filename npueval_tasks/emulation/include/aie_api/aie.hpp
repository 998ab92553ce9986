// kernelgepa host emulation of the AIE API: the header NPUEval kernels include.
// Covers the subset documented in npueval_tasks/emulation/README.md; anything else is a compile
// error that names the construct (an unknown aie:: name, or a static_assert message).
#pragma once
#include "../aie_emu/accum.hpp"
