// Throughput of the tensor layer's conversions: activation quantisation (run on every matmul),
// dequantisation of every computable type, and model-file quantisation (make-model's cost).
// Run: build/<dir>/bench/bench_quantize [--benchmark_filter=Act]
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "tensor/quantize.h"

namespace dsinfer::tensor {
namespace {

std::vector<float> random_floats(int64_t n) {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  return x;
}

// Activation rows: argument = row length (hidden sizes 1536, 4096, FFN 8960 -> 8960 is not a
// multiple of 256, so 8960 runs for Q8_0 only).
template <typename Block, void (*kQuantize)(const float*, Block*, int64_t), int kBlock>
void BM_Act(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::vector<float> x = random_floats(n);
  std::vector<Block> y(static_cast<size_t>(n / kBlock));
  for (auto _ : state) {
    kQuantize(x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(sizeof(float)));
  state.SetLabel(quantize_act_uses_avx2() ? "dispatch=avx2" : "dispatch=scalar");
}

BENCHMARK(BM_Act<BlockQ8_0, quantize_act_q8_0, 32>)
    ->Name("Act/q8_0")
    ->Arg(1536)
    ->Arg(4096)
    ->Arg(8960);
BENCHMARK(BM_Act<BlockQ8_0, quantize_act_q8_0_scalar, 32>)
    ->Name("Act/q8_0_scalar")
    ->Arg(1536)
    ->Arg(4096);
BENCHMARK(BM_Act<BlockQ8_1, quantize_act_q8_1, 32>)->Name("Act/q8_1")->Arg(1536)->Arg(4096);
BENCHMARK(BM_Act<BlockQ8_K, quantize_act_q8_k, 256>)->Name("Act/q8_k")->Arg(1536)->Arg(4096);
BENCHMARK(BM_Act<BlockQ8_K, quantize_act_q8_k_scalar, 256>)
    ->Name("Act/q8_k_scalar")
    ->Arg(1536)
    ->Arg(4096);

// Every type dsinfer writes (its row in tensor/dtype.cpp has a quantiser), but plain F32.
const std::vector<DType>& bench_types() {
  static const std::vector<DType> types = [] {
    std::vector<DType> out;
    for (const DTypeInfo& t : dtype_table()) {
      if (t.quantizable() && t.type != DType::kF32) out.push_back(t.type);
    }
    return out;
  }();
  return types;
}

// Dequantisation of a 256 Ki-element buffer; argument = index into bench_types().
void BM_Dequantize(benchmark::State& state) {
  const DType type = bench_types()[static_cast<size_t>(state.range(0))];
  const int64_t n = 256 * 1024;
  const std::vector<float> x = random_floats(n);
  std::vector<uint8_t> q(row_bytes(dtype_info(type), n));
  quantize_row(type, x.data(), q.data(), n);
  std::vector<float> y(static_cast<size_t>(n));
  for (auto _ : state) {
    dequantize_row(type, q.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel(dtype_name(type));
}

// Model-file quantisation (the reference rules, with the K-type scale searches).
void BM_Quantize(benchmark::State& state) {
  const DType type = bench_types()[static_cast<size_t>(state.range(0))];
  const int64_t n = 256 * 256;
  const std::vector<float> x = random_floats(n);
  std::vector<uint8_t> q(row_bytes(dtype_info(type), n));
  for (auto _ : state) {
    quantize_row(type, x.data(), q.data(), n);
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel(dtype_name(type));
}

BENCHMARK(BM_Dequantize)
    ->Name("Dequantize")
    ->DenseRange(0, static_cast<int64_t>(bench_types().size()) - 1);
BENCHMARK(BM_Quantize)
    ->Name("Quantize")
    ->DenseRange(0, static_cast<int64_t>(bench_types().size()) - 1);

}  // namespace
}  // namespace dsinfer::tensor

BENCHMARK_MAIN();
