// KV block pool: addressing of rows and the attention view agree; sizes; bad sizes rejected.
#include "model/kv_block_pool.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "base/thread_pool.h"

namespace dsinfer::model {
namespace {

// The pool's memory comes from an execution context (host memory on the CPU backend).
struct Ctx {
  ThreadPool pool{1};
  kernels::ExecContext ctx{pool};
};

TEST(KvBlockPool, RowsAndLayerViewAgree) {
  Ctx c;
  KvBlockPool pool(c.ctx, 3, 5, 4, 6, 2);
  EXPECT_EQ(pool.device(), kernels::Device::kCpu);
  EXPECT_EQ(pool.bytes_per_token(), 3 * (6 + 2) * 2);
  EXPECT_EQ(pool.total_bytes(), pool.bytes_per_token() * 5 * 4);
  for (int64_t layer = 0; layer < 3; ++layer) {
    const kernels::PagedKv view = pool.layer_view(layer);
    for (int64_t block = 0; block < 5; ++block) {
      for (int64_t slot = 0; slot < 4; ++slot) {
        EXPECT_EQ(view.k + block * view.k_block_stride + slot * view.k_row_stride,
                  pool.k_row(layer, block, slot));
        EXPECT_EQ(view.v + block * view.v_block_stride + slot * view.v_row_stride,
                  pool.v_row(layer, block, slot));
      }
    }
  }
  // Distinct rows never overlap: the last K row ends where the V storage begins.
  EXPECT_EQ(pool.k_row(2, 4, 3) + 6, pool.v_row(0, 0, 0));
}

TEST(KvBlockPool, LatentOnlyLayoutHasNoVRows) {
  Ctx c;
  KvBlockPool pool(c.ctx, 2, 3, 16, 576, 0);  // MLA: latent 512 + rope key 64
  EXPECT_EQ(pool.bytes_per_token(), 2 * 576 * 2);
}

TEST(KvBlockPool, RejectsBadSizes) {
  Ctx c;
  EXPECT_THROW(KvBlockPool(c.ctx, 0, 1, 1, 1, 1), Error);
  EXPECT_THROW(KvBlockPool(c.ctx, 1, 0, 1, 1, 1), Error);
  EXPECT_THROW(KvBlockPool(c.ctx, 1, 1, 0, 1, 1), Error);
  EXPECT_THROW(KvBlockPool(c.ctx, 1, 1, 1, 0, 1), Error);
}

}  // namespace
}  // namespace dsinfer::model
