// The VNNI variants' vector operations (kernels/matmul_x86_vnni.inc) checked exhaustively against
// their scalar meaning, on every ISA this CPU runs; the others are reported skipped by name.
#include <string>

#include <gtest/gtest.h>

#include "kernels/isa.h"
#include "kernels/matmul_internal.h"

namespace dsinfer::kernels {
namespace {

class VectorOps : public ::testing::TestWithParam<Isa> {};

TEST_P(VectorOps, MatchTheirScalarMeaning) {
  const Isa isa = GetParam();
  if (!isa_available(isa)) {
    GTEST_SKIP() << "ISA " << isa_name(isa)
                 << " not available on this CPU (available: " << available_isas_text() << ")";
  }
  const auto& ops = matmul_detail::isa_ops(isa);
  ASSERT_NE(ops.check_vector_ops, nullptr) << isa_name(isa);
  EXPECT_EQ(ops.check_vector_ops(), "") << isa_name(isa);
}

INSTANTIATE_TEST_SUITE_P(Vnni, VectorOps, ::testing::Values(Isa::kAvxVnni, Isa::kAvx512Vnni),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace dsinfer::kernels
