// Weight repacking at load time.
#include "model/weight_repack.h"

namespace dsinfer::model {

void WeightRepacker::repack(kernels::WeightView& w) {
  if (!enabled_ || !kernels::packable_rows8(w)) return;
  packed_.push_back(kernels::pack_rows8(w, ctx_, release_pages_));
  w = packed_.back().view();
  bytes_ += packed_.back().bytes();
}

}  // namespace dsinfer::model
