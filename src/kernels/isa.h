// Instruction-set variants of the kernels and the one chosen at start-up from CPUID.
#pragma once

#include <string>
#include <vector>

namespace dsinfer::kernels {

enum class Isa { kScalar, kAvx2, kAvx512 };

const char* isa_name(Isa isa);

// Parses "scalar" | "avx2" | "avx512"; throws Error(kInvalidInput) otherwise.
Isa parse_isa(const std::string& name);

// Variants this binary was built with AND this CPU can run, lowest first.
std::vector<Isa> available_isas();
std::string available_isas_text();

// The variant in use: the best available one, or DSINFER_CPU_ISA when set (an unavailable forced
// ISA is an error). Decided once on first call; thread-safe.
Isa selected_isa();

}  // namespace dsinfer::kernels
