// Instruction-set variants of the kernels and the one chosen at start-up from CPUID.
#pragma once

#include <string>
#include <vector>

namespace dsinfer::kernels {

// Lowest first. kAvx512 is the AVX2 kernels compiled with AVX-512 F/BW/VL/DQ (EVEX encodings, 32
// registers); the *Vnni variants add vpdpbusd packed kernels: 256-bit (AVX-VNNI, VEX) and 512-bit
// (AVX-512 VNNI) tiles of the same templated code (kernels/matmul_x86_vnni.inc).
enum class Isa { kScalar, kAvx2, kAvxVnni, kAvx512, kAvx512Vnni };

const char* isa_name(Isa isa);

// Parses "scalar" | "avx2" | "avxvnni" | "avx512" | "avx512vnni"; throws Error(kInvalidInput)
// otherwise.
Isa parse_isa(const std::string& name);

// Every variant this binary was built with, whether this CPU runs it or not (tests name the ones
// they skip).
std::vector<Isa> all_isas();

// Variants this binary was built with AND this CPU can run, lowest first.
std::vector<Isa> available_isas();
std::string available_isas_text();
bool isa_available(Isa isa);

// True when the CPU has AVX512_BF16 and this binary was built with the avx512vnni variant: that
// variant then computes BF16 weights with vdpbf16ps (kernels/matmul_x86_bf16.inc). Read once.
bool bf16_dot_available();

// "avx512vnni" or, when it computes BF16 weights with vdpbf16ps, "avx512vnni+bf16": the selected
// variant as `dsinfer --version` and bench-model name it.
std::string selected_isa_text();

// The variant in use: the best available one, or DSINFER_CPU_ISA when set (an unavailable forced
// ISA is an error). Decided once on first call; thread-safe.
Isa selected_isa();

}  // namespace dsinfer::kernels
