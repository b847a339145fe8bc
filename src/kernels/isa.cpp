// CPUID-based choice of the kernel variant (logged once; DSINFER_CPU_ISA forces one).
#include "kernels/isa.h"

#include <cpuid.h>

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "base/error.h"

namespace dsinfer::kernels {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvxVnni:
      return "avxvnni";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx512Vnni:
      return "avx512vnni";
  }
  return "scalar";
}

Isa parse_isa(const std::string& name) {
  for (Isa isa : all_isas()) {
    if (name == isa_name(isa)) return isa;
  }
  fail(ErrorKind::kInvalidInput,
       "unknown ISA '{}' (expected scalar, avx2, avxvnni, avx512 or avx512vnni)", name);
}

std::vector<Isa> all_isas() {
  return {Isa::kScalar, Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512, Isa::kAvx512Vnni};
}

namespace {

// NOTE: CPUID bits read directly for the features some compilers' __builtin_cpu_supports does
// not name (clang 14: "f16c", "avxvnni"). The OS's YMM/ZMM state support is checked by the
// builtin's "avx2" / "avx512f", which these are only ever combined with.
bool cpuid_bit(unsigned leaf, unsigned subleaf, int reg, unsigned bit) {
  unsigned r[4] = {};
  if (__get_cpuid_count(leaf, subleaf, &r[0], &r[1], &r[2], &r[3]) == 0) return false;
  return (r[reg] >> bit) & 1u;
}
constexpr int kEax = 0, kEcx = 2;
bool has_f16c() { return cpuid_bit(1, 0, kEcx, 29); }
bool has_avx_vnni() { return cpuid_bit(7, 1, kEax, 4); }
bool has_avx512_bf16() { return cpuid_bit(7, 1, kEax, 5); }

}  // namespace

std::vector<Isa> available_isas() {
  std::vector<Isa> out{Isa::kScalar};
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512dq");
  if (avx2) out.push_back(Isa::kAvx2);
  if (avx2 && has_avx_vnni()) out.push_back(Isa::kAvxVnni);
  if (avx512) out.push_back(Isa::kAvx512);
  if (avx512 && __builtin_cpu_supports("avx512vnni")) out.push_back(Isa::kAvx512Vnni);
  return out;
}

bool isa_available(Isa isa) {
  for (Isa a : available_isas()) {
    if (a == isa) return true;
  }
  return false;
}

std::string available_isas_text() {
  std::string s;
  for (Isa isa : available_isas()) {
    if (!s.empty()) s += ",";
    s += isa_name(isa);
  }
  return s;
}

namespace {

Isa choose_isa() {
  const auto avail = available_isas();
  if (const char* forced = std::getenv("DSINFER_CPU_ISA"); forced != nullptr && *forced != 0) {
    const Isa want = parse_isa(forced);
    if (isa_available(want)) return want;
    fail(ErrorKind::kUnsupported, "DSINFER_CPU_ISA={} but this CPU/build supports only {}", forced,
         available_isas_text());
  }
  return avail.back();
}

}  // namespace

Isa selected_isa() {
  static const Isa isa = [] {
    const Isa chosen = choose_isa();
    spdlog::debug("kernels: ISA {} (available: {})", isa_name(chosen), available_isas_text());
    return chosen;
  }();
  return isa;
}

bool bf16_dot_available() {
  static const bool available = isa_available(Isa::kAvx512Vnni) && has_avx512_bf16();
  return available;
}

std::string selected_isa_text() {
  const Isa isa = selected_isa();
  std::string s = isa_name(isa);
  if (isa == Isa::kAvx512Vnni && bf16_dot_available()) s += "+bf16";
  return s;
}

}  // namespace dsinfer::kernels
