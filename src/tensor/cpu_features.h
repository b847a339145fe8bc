// CPU features the tensor layer's fast paths need, read once from CPUID (internal).
#pragma once

namespace dsinfer::tensor::detail {

// True when the CPU has AVX2, FMA and F16C and the OS saves YMM state. Decided once; thread-safe.
bool cpu_has_avx2();

}  // namespace dsinfer::tensor::detail
