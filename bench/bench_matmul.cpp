// Matmul kernel benchmarks on the weight shapes of a 1.5B qwen2 model (r1-distill-qwen-1.5b):
// decode (1 activation row; weight GB/s) and prefill (512 rows; GFLOP/s), per weight type, per
// ISA variant available here, 1 and 2 threads. See bench/README.md ("Kernels").
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

// Random valid blocks (speed does not depend on the values): random bytes, sane fp16 scales.
std::vector<uint8_t> random_weights(DType type, int64_t n_in, int64_t n_out) {
  const auto& info = dsinfer::tensor::dtype_info(type);
  std::vector<uint8_t> data(dsinfer::tensor::row_bytes(info, n_in) * static_cast<size_t>(n_out));
  std::mt19937 rng(42);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  const uint16_t half = 0x1c00;  // 2^-8
  size_t off0 = 0, off1 = SIZE_MAX;
  switch (type) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16: {
      // Small finite values: use one pattern per element type.
      const size_t elem = info.block_bytes;
      for (size_t i = 0; i + elem <= data.size(); i += elem) {
        if (elem == 4) {
          const float v = static_cast<float>(static_cast<int>(rng() % 200) - 100) * 1e-3f;
          std::memcpy(&data[i], &v, 4);
        } else {
          const uint16_t v = elem == 2 && type == DType::kF16 ? 0x1c00 : 0x3b80;
          std::memcpy(&data[i], &v, 2);
        }
      }
      return data;
    }
    case DType::kQ4_1:
    case DType::kQ5_1:
    case DType::kQ4_K:
    case DType::kQ5_K:
      off1 = 2;
      break;
    case DType::kQ6_K:
      off0 = 208;
      break;
    default:
      break;
  }
  for (size_t k = 0; k < data.size() / info.block_bytes; ++k) {
    uint8_t* blk = data.data() + k * info.block_bytes;
    std::memcpy(blk + off0, &half, 2);
    if (off1 != SIZE_MAX) std::memcpy(blk + off1, &half, 2);
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
            for (int64_t rows : {int64_t{1}, int64_t{512}}) {
              // The scalar reference is slow: prefill only on the smallest square shape.
              if (isa == Isa::kScalar && rows > 1 && std::strcmp(shape.name, "attn_q") != 0) {
                continue;
              }
              if (rows > 1 && std::strcmp(shape.name, "stream_x8") == 0) continue;
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
