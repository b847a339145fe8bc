// CPUID-based choice of the kernel variant (logged once; DSINFER_CPU_ISA forces one).
#include "kernels/isa.h"

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
    case Isa::kAvx512:
      return "avx512";
  }
  return "scalar";
}

Isa parse_isa(const std::string& name) {
  if (name == "scalar") return Isa::kScalar;
  if (name == "avx2") return Isa::kAvx2;
  if (name == "avx512") return Isa::kAvx512;
  fail(ErrorKind::kInvalidInput, "unknown ISA '{}' (expected scalar, avx2 or avx512)", name);
}

std::vector<Isa> available_isas() {
  std::vector<Isa> out{Isa::kScalar};
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c")) {
    out.push_back(Isa::kAvx2);
  }
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    out.push_back(Isa::kAvx512);
  }
  return out;
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
    for (Isa a : avail) {
      if (a == want) return want;
    }
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

}  // namespace dsinfer::kernels
