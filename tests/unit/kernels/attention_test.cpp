// Paged GQA attention: against a naive float64 implementation on contiguous K/V, scrambled block
// tables, several sequences per call, and every ISA against the scalar reference.
#include "kernels/attention.h"

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tensor/fp16.h"

namespace dsinfer::kernels {
namespace {

struct PoolSetup {
  AttentionDims dims;
  int64_t block_size = 4;
  int64_t n_blocks = 40;
  std::vector<uint16_t> k, v;  // pool: [n_blocks, block_size, n_head_kv * head_dim]
  PagedKv view() const {
    PagedKv p;
    p.k = k.data();
    p.v = v.data();
    p.block_size = block_size;
    p.k_row_stride = dims.n_head_kv * dims.head_dim_k;
    p.v_row_stride = dims.n_head_kv * dims.head_dim_v;
    p.k_block_stride = block_size * p.k_row_stride;
    p.v_block_stride = block_size * p.v_row_stride;
    return p;
  }
};

// A pool of n_blocks blocks with random K/V; head_dim 40 by default (not a multiple of 16: it
// exercises the tails).
PoolSetup make_setup(uint32_t seed, int64_t n_head = 8, int64_t n_head_kv = 2,
                     int64_t head_dim_k = 40, int64_t head_dim_v = 40, int64_t block_size = 4,
                     int64_t n_blocks = 40) {
  PoolSetup s;
  s.dims.n_head = n_head;
  s.dims.n_head_kv = n_head_kv;
  s.dims.head_dim_k = head_dim_k;
  s.dims.head_dim_v = head_dim_v;
  s.dims.scale = 1.0f / std::sqrt(static_cast<float>(head_dim_k));
  s.block_size = block_size;
  s.n_blocks = n_blocks;
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  s.k.resize(n_blocks * block_size * n_head_kv * head_dim_k);
  s.v.resize(n_blocks * block_size * n_head_kv * head_dim_v);
  for (auto& h : s.k) h = tensor::float_to_fp16(dist(rng));
  for (auto& h : s.v) h = tensor::float_to_fp16(dist(rng));
  return s;
}

// Naive: softmax(q.k * scale) v over positions [0, pos], in double, no F16 rounding of q / p.
std::vector<double> naive(const PoolSetup& s, const float* q, int64_t pos,
                          const std::vector<int32_t>& bt, int64_t head) {
  const auto& d = s.dims;
  const PagedKv p = s.view();
  const int64_t kvh = head / (d.n_head / d.n_head_kv);
  std::vector<double> scores(pos + 1);
  double mx = -1e300;
  for (int64_t j = 0; j <= pos; ++j) {
    const uint16_t* k = p.k + bt[j / p.block_size] * p.k_block_stride +
                        (j % p.block_size) * p.k_row_stride + kvh * d.head_dim_k;
    double dot = 0;
    for (int64_t i = 0; i < d.head_dim_k; ++i) dot += double(q[i]) * tensor::fp16_to_float(k[i]);
    scores[j] = dot * d.scale;
    mx = std::max(mx, scores[j]);
  }
  double sum = 0;
  for (auto& sc : scores) sum += (sc = std::exp(sc - mx));
  std::vector<double> out(d.head_dim_v, 0.0);
  for (int64_t j = 0; j <= pos; ++j) {
    const uint16_t* v = p.v + bt[j / p.block_size] * p.v_block_stride +
                        (j % p.block_size) * p.v_row_stride + kvh * d.head_dim_v;
    for (int64_t i = 0; i < d.head_dim_v; ++i)
      out[i] += scores[j] / sum * tensor::fp16_to_float(v[i]);
  }
  return out;
}

struct Seq {
  int64_t start_pos, n_tokens;
  std::vector<int32_t> bt;
  std::vector<float> q, out;
};

// Sequences (start_pos, n_tokens); by default four short ones.
std::vector<Seq> make_seqs(const PoolSetup& s, uint32_t seed,
                           const std::vector<std::pair<int64_t, int64_t>>& shape = {
                               {0, 13}, {21, 1}, {9, 6}, {0, 1}}) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  // Block ids scrambled across the pool and interleaved between sequences.
  std::vector<int32_t> ids(s.n_blocks);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  std::vector<Seq> seqs;
  for (const auto& [start, n] : shape) seqs.push_back({start, n, {}, {}, {}});
  size_t next = 0;
  for (auto& q : seqs) {
    const int64_t blocks = (q.start_pos + q.n_tokens + s.block_size - 1) / s.block_size;
    for (int64_t b = 0; b < blocks; ++b) q.bt.push_back(ids[next++]);
    q.q.resize(q.n_tokens * s.dims.n_head * s.dims.head_dim_k);
    for (auto& x : q.q) x = 2.0f * dist(rng);
    q.out.assign(q.n_tokens * s.dims.n_head * s.dims.head_dim_v, 0.0f);
  }
  return seqs;
}

std::vector<AttentionTask> tasks_for(std::vector<Seq>& seqs, const AttentionDims& d) {
  std::vector<AttentionTask> tasks;
  for (auto& q : seqs) {
    AttentionTask t;
    t.q = q.q.data();
    t.ldq = d.n_head * d.head_dim_k;
    t.out = q.out.data();
    t.ldo = d.n_head * d.head_dim_v;
    t.n_tokens = q.n_tokens;
    t.start_pos = q.start_pos;
    t.block_table = q.bt.data();
    tasks.push_back(t);
  }
  return tasks;
}

class AttentionIsa : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!isa_available(GetParam())) {
      GTEST_SKIP() << "ISA " << isa_name(GetParam())
                   << " not available on this CPU (available: " << available_isas_text() << ")";
    }
  }
};

// Bound: q and the probabilities are rounded to F16 (relative 2^-11) as in the reference, so the
// outputs (|out| <~ 1) differ from the exact float64 result by a few 1e-3 at most.
TEST_P(AttentionIsa, MatchesNaiveFloat64) {
  const PoolSetup s = make_setup(1);
  auto seqs = make_seqs(s, 2);
  ThreadPool pool(2);
  kernels::ExecContext ctx(pool);
  auto tasks = tasks_for(seqs, s.dims);
  attention_paged(s.dims, s.view(), tasks.data(), tasks.size(), ctx, GetParam());
  double max_err = 0;
  for (auto& q : seqs) {
    for (int64_t t = 0; t < q.n_tokens; ++t) {
      for (int64_t h = 0; h < s.dims.n_head; ++h) {
        const auto ref =
            naive(s, q.q.data() + t * s.dims.n_head * s.dims.head_dim_k + h * s.dims.head_dim_k,
                  q.start_pos + t, q.bt, h);
        for (int64_t i = 0; i < s.dims.head_dim_v; ++i) {
          max_err = std::max(
              max_err,
              std::fabs(ref[i] -
                        q.out[t * s.dims.n_head * s.dims.head_dim_v + h * s.dims.head_dim_v + i]));
        }
      }
    }
  }
  EXPECT_LT(max_err, 5e-3) << isa_name(GetParam());
}

// Runs the same sequences (make_seqs(s, seed)) through the scalar reference and `isa`; every
// output within `tol`.
void expect_matches_scalar(const PoolSetup& s, uint32_t seed, Isa isa, double tol,
                           const std::vector<std::pair<int64_t, int64_t>>& shape = {
                               {0, 13}, {21, 1}, {9, 6}, {0, 1}}) {
  auto a = make_seqs(s, seed, shape);
  auto b = make_seqs(s, seed, shape);
  ThreadPool pool(2);
  kernels::ExecContext ctx(pool);
  auto ta = tasks_for(a, s.dims);
  auto tb = tasks_for(b, s.dims);
  attention_paged(s.dims, s.view(), ta.data(), ta.size(), ctx, Isa::kScalar);
  attention_paged(s.dims, s.view(), tb.data(), tb.size(), ctx, isa);
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < a[i].out.size(); ++j) {
      ASSERT_NEAR(a[i].out[j], b[i].out[j], tol)
          << "heads " << s.dims.n_head << "/" << s.dims.n_head_kv << " dims " << s.dims.head_dim_k
          << "/" << s.dims.head_dim_v << " seq " << i << " (start " << a[i].start_pos << ", "
          << a[i].n_tokens << " tokens) element " << j;
    }
  }
}

// Bound: the variants differ only in float summation order: 1e-5 absolute.
TEST_P(AttentionIsa, EqualsScalarReference) {
  expect_matches_scalar(make_setup(3), 4, GetParam(), 1e-5);
}

// Heads of a KV group are processed up to 4 at a time: group sizes 1, 3, 6 (4 + 2) and 8 (4 + 4)
// give the scalar reference's results. Bound 2e-4: beyond summation order (1e-5 above), a score
// that differs in its last bits can round to the neighbouring F16 probability (2^-11 relative).
TEST_P(AttentionIsa, AnyHeadsPerKvGroupEqualsScalarReference) {
  for (const int64_t n_head : {2, 6, 12, 16}) {
    PoolSetup s = make_setup(7);
    s.dims.n_head = n_head;  // n_head_kv stays 2
    expect_matches_scalar(s, 8, GetParam(), 2e-4);
  }
}

// The tiled variants block query rows (tokens x heads of a KV group, up to 64 rows), positions
// (panels of 96, register blocks of 6-24) and output columns (vectors of 8 or 16): shapes that
// leave remainders everywhere, the head sizes of the supported models (64, 128, 192 with 128,
// MLA's 576 with 512), one token, many heads per KV group (80 heads: more than one tile of rows),
// against the scalar reference. Bound 2e-4 as above.
TEST_P(AttentionIsa, AwkwardShapesEqualScalarReference) {
  struct Shape {
    int64_t n_head, n_head_kv, dk, dv, block_size;
    std::vector<std::pair<int64_t, int64_t>> seqs;  // (start_pos, n_tokens)
  };
  const std::vector<Shape> shapes = {
      {16, 1, 576, 512, 16, {{0, 37}, {95, 2}, {190, 1}}},   // MLA: one KV head of 576 + 512
      {16, 1, 576, 512, 16, {{200, 1}}},                     // MLA decode
      {12, 2, 128, 128, 16, {{0, 23}, {97, 11}, {150, 1}}},  // 1.5B: 6 heads per KV head
      {8, 8, 64, 64, 4, {{0, 9}, {100, 3}}},                 // no grouping
      {4, 2, 192, 128, 8, {{5, 30}, {0, 1}}},                // K wider than V
      {80, 1, 64, 40, 8, {{0, 5}, {33, 1}}},                 // heads per KV group > a tile
      {6, 3, 24, 8, 4, {{0, 7}, {2, 1}}},                    // dims below one vector
  };
  uint32_t seed = 11;
  for (const Shape& sh : shapes) {
    int64_t blocks = 0;
    for (const auto& [start, n] : sh.seqs)
      blocks += (start + n + sh.block_size - 1) / sh.block_size;
    const PoolSetup s =
        make_setup(seed++, sh.n_head, sh.n_head_kv, sh.dk, sh.dv, sh.block_size, blocks);
    expect_matches_scalar(s, seed++, GetParam(), 2e-4, sh.seqs);
  }
}

// A sequence computed in one call equals the same sequence split into chunks of `chunk` tokens
// over calls (exactly: the tiled variants sum every row in the same order whatever its tile).
void expect_chunked_equals_whole(const PoolSetup& s, uint32_t seed, Isa isa, int64_t chunk,
                                 const std::vector<std::pair<int64_t, int64_t>>& shape = {
                                     {0, 13}, {21, 1}, {9, 6}, {0, 1}}) {
  auto whole = make_seqs(s, seed, shape);
  ThreadPool pool(2);
  kernels::ExecContext ctx(pool);
  auto tw = tasks_for(whole, s.dims);
  attention_paged(s.dims, s.view(), tw.data(), 1, ctx, isa);
  Seq& w = whole[0];
  const int64_t row_q = s.dims.n_head * s.dims.head_dim_k;
  const int64_t row_o = s.dims.n_head * s.dims.head_dim_v;
  std::vector<float> chunked(w.out.size());
  for (int64_t start = 0; start < w.n_tokens; start += chunk) {
    AttentionTask t = tw[0];
    t.start_pos = w.start_pos + start;
    t.n_tokens = std::min<int64_t>(chunk, w.n_tokens - start);
    t.q = w.q.data() + start * row_q;
    t.out = chunked.data() + start * row_o;
    attention_paged(s.dims, s.view(), &t, 1, ctx, isa);
  }
  EXPECT_EQ(chunked, w.out);
}

TEST_P(AttentionIsa, ChunkedEqualsWhole) {
  expect_chunked_equals_whole(make_setup(5), 6, GetParam(), 5);
}

// The same with MLA's shape: 16 heads on one KV head of 576 (K) and 512 (V), 100 tokens in one
// call (tiles of 4 tokens) against chunks of 7 and of 1 (decode: tiles of 8 heads).
TEST_P(AttentionIsa, MlaChunkedEqualsWhole) {
  const PoolSetup s = make_setup(13, 16, 1, 576, 512, 16, 8);
  expect_chunked_equals_whole(s, 14, GetParam(), 7, {{3, 100}});
  expect_chunked_equals_whole(s, 14, GetParam(), 1, {{3, 100}});
}

INSTANTIATE_TEST_SUITE_P(AllIsas, AttentionIsa, ::testing::ValuesIn(all_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

TEST(AttentionIsaSelection, ReportsSelected) {
  // CI forces DSINFER_CPU_ISA; the dispatching overloads use selected_isa().
  std::printf("attention: selected ISA %s (available %s)\n", isa_name(selected_isa()),
              available_isas_text().c_str());
  SUCCEED();
}

}  // namespace
}  // namespace dsinfer::kernels
