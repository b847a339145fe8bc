// Lists derived from the matmul's weight-type table (kernels/weight_types.h).
#include "kernels/weight_types.h"

namespace dsinfer::kernels {
namespace {

template <class Keep>
std::string names_where(Keep keep) {
  std::string out;
  for (const WeightTypeRow& row : kWeightTypes) {
    if (!keep(row)) continue;
    if (!out.empty()) out += ", ";
    out += tensor::dtype_name(row.type);
  }
  return out;
}

}  // namespace

bool matmul_supports(tensor::DType type) { return weight_type_row(type) != nullptr; }

std::string matmul_types_text() {
  return names_where([](const WeightTypeRow&) { return true; });
}

std::string rows8_types_text() {
  return names_where([](const WeightTypeRow& row) { return row.rows8 != nullptr; });
}

std::vector<tensor::DType> matmul_types() {
  std::vector<tensor::DType> out;
  for (const WeightTypeRow& row : kWeightTypes) out.push_back(row.type);
  return out;
}

}  // namespace dsinfer::kernels
