// Matmul kernel benchmarks on the weight shapes of a 1.5B qwen2 model (r1-distill-qwen-1.5b):
// decode (1 activation row; weight GB/s), batched decode (2-32 rows, packed layouts; GFLOP/s per
// row shows how close a step of that many sequences comes to prefill) and prefill (512 rows;
// GFLOP/s), per weight type, per ISA variant available here, 1 and 2 threads. See
// bench/README.md ("Kernels").
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/isa.h"
#include "kernels/matmul.h"
#include "kernels/weight_pack.h"
#include "tensor/dtype.h"

namespace {

using dsinfer::ThreadPool;
using dsinfer::kernels::Isa;
using dsinfer::kernels::WeightView;
using dsinfer::tensor::DType;

struct Shape {
  const char* name;
  int64_t n_in;
  int64_t n_out;
};

// r1-distill-qwen-1.5b: hidden 1536, FFN 8960, 2 KV heads of 128.
// stream_x8 (decode only): 8 FFN matrices' worth of rows, larger than the L3 cache, so decode
// reads the weights from DRAM as a whole-model decode step does.
const Shape kShapes[] = {{"attn_q", 1536, 1536},
                         {"attn_kv", 1536, 256},
                         {"ffn_up", 1536, 8960},
                         {"ffn_down", 8960, 1536},
                         {"stream_x8", 1536, 8 * 8960}};

// Random valid weights (speed does not depend on the values): plain types are small random
// floats in the type's own encoding (its row's quantize); block types are random bytes with a
// sane fp16 at each scale field the type's row names.
std::vector<uint8_t> random_weights(DType type, int64_t n_in, int64_t n_out) {
  const auto& info = dsinfer::tensor::dtype_info(type);
  std::vector<uint8_t> data(dsinfer::tensor::row_bytes(info, n_in) * static_cast<size_t>(n_out));
  std::mt19937 rng(42);
  if (info.block_size == 1) {
    const size_t row_bytes = data.size() / static_cast<size_t>(n_out);
    std::vector<float> row(static_cast<size_t>(n_in));
    for (int64_t o = 0; o < n_out; ++o) {
      for (auto& v : row) v = static_cast<float>(static_cast<int>(rng() % 200) - 100) * 1e-3f;
      info.quantize(row.data(), data.data() + static_cast<size_t>(o) * row_bytes, n_in);
    }
    return data;
  }
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  const uint16_t half = 0x1c00;  // 2^-8
  for (size_t k = 0; k < data.size() / info.block_bytes; ++k) {
    uint8_t* blk = data.data() + k * info.block_bytes;
    for (int f = 0; f < info.half_scales.count; ++f) {
      std::memcpy(blk + info.half_scales.offset[f], &half, 2);
    }
  }
  return data;
}

void bm_matmul(benchmark::State& state, DType type, Isa isa, Shape shape, int64_t n_rows,
               int threads, bool packed) {
  const auto weights = random_weights(type, shape.n_in, shape.n_out);
  ThreadPool pool(threads);
  dsinfer::kernels::ExecContext ctx(pool);
  WeightView w{type, weights.data(), shape.n_in, shape.n_out, 0};
  dsinfer::kernels::PackedWeight repacked;
  if (packed) {
    repacked = dsinfer::kernels::pack_rows8(w, ctx);
    w = repacked.view();
  }
  std::vector<float> x(static_cast<size_t>(n_rows * shape.n_in));
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& v : x) v = dist(rng);
  std::vector<float> y(static_cast<size_t>(n_rows * shape.n_out));
  for (auto _ : state) {
    dsinfer::kernels::matmul_with_isa(isa, w, x.data(), shape.n_in, n_rows, y.data(), shape.n_out,
                                      ctx);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double bytes = static_cast<double>(weights.size());
  const double flops = 2.0 * static_cast<double>(n_rows * shape.n_in * shape.n_out);
  state.counters["weight_GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// 1 (decode), 2-32 (batched decode: one step of that many sequences), 512 (prefill).
constexpr int64_t kRowCounts[] = {1, 2, 4, 8, 16, 32, 512};

void register_all() {
  const std::vector<DType> types = dsinfer::kernels::matmul_types();  // kernels/weight_types.h
  for (Isa isa : dsinfer::kernels::available_isas()) {
    for (DType type : types) {
      // Types with an 8-row layout also in it, as the model repacks them ("Q4_K.x8").
      const bool can_pack = dsinfer::kernels::has_rows8_layout(type);
      for (const bool packed : {false, true}) {
        if (packed && !can_pack) continue;
        for (int threads : {1, 2}) {
          for (const Shape& shape : kShapes) {
            for (int64_t rows : kRowCounts) {
              const bool small_m = rows > 1 && rows < 512;
              // The scalar reference is slow: prefill only on the smallest square shape.
              if (isa == Isa::kScalar && rows > 1 && std::strcmp(shape.name, "attn_q") != 0) {
                continue;
              }
              // Batched decode (2-32 rows): the packed layouts, which the model runs, only.
              if (small_m && (isa == Isa::kScalar || !packed)) continue;
              if (rows == 512 && std::strcmp(shape.name, "stream_x8") == 0) continue;
              const std::string name =
                  std::string("matmul/") + dsinfer::tensor::dtype_name(type) +
                  (packed ? ".x8" : "") + "/" + dsinfer::kernels::isa_name(isa) + "/" + shape.name +
                  "/rows:" + std::to_string(rows) + "/threads:" + std::to_string(threads);
              benchmark::RegisterBenchmark(name.c_str(), bm_matmul, type, isa, shape, rows, threads,
                                           packed)
                  ->Unit(benchmark::kMillisecond)
                  ->UseRealTime()
                  ->MinTime(rows > 1 ? 0.5 : 0.2)
                  ->ComputeStatistics("min", [](const std::vector<double>& v) {
                    return *std::min_element(v.begin(), v.end());
                  });
            }
          }
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
