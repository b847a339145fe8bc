// Vulkan matmul throughput on one device (DSINFER_VULKAN_BENCH_DEVICE, default 0): GEMV (decode,
// 1 row: weight bytes per second, to compare with the device's memory bandwidth) and the tiled
// GEMM (prefill, 512 rows: FLOP/s), per weight type. Each iteration records 16 matmuls in one
// command buffer and waits for it. Built only with DSINFER_VULKAN=ON.
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "tensor/dtype.h"
#include "tensor/quantize.h"
#include "vulkan/command_recorder.h"
#include "vulkan/device_weight.h"
#include "vulkan/ops_matmul.h"
#include "vulkan/vulkan_device.h"

namespace {

using dsinfer::tensor::DType;
namespace vk = dsinfer::vulkan;

struct Bench {
  std::unique_ptr<vk::VulkanInstance> instance;
  std::unique_ptr<vk::VulkanDevice> device;
  std::unique_ptr<vk::PipelineSet> pipelines;
  std::unique_ptr<vk::CommandRecorder> recorder;
};

Bench& bench() {
  static Bench b = [] {
    Bench x;
    x.instance = std::make_unique<vk::VulkanInstance>();
    const char* pick = std::getenv("DSINFER_VULKAN_BENCH_DEVICE");
    x.device = std::make_unique<vk::VulkanDevice>(*x.instance, pick ? std::atoi(pick) : 0);
    x.pipelines = std::make_unique<vk::PipelineSet>(*x.device);
    x.recorder = std::make_unique<vk::CommandRecorder>(*x.pipelines);
    return x;
  }();
  return b;
}

constexpr int kPerSubmit = 16;

void run(benchmark::State& state, DType type, int64_t n_rows, vk::MatmulPath path) {
  const int64_t n_in = state.range(0), n_out = state.range(1);
  Bench& b = bench();
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<float> wf(static_cast<size_t>(n_in * n_out));
  for (auto& v : wf) v = dist(rng);
  const size_t row = dsinfer::tensor::row_bytes(dsinfer::tensor::dtype_info(type), n_in);
  std::vector<uint8_t> w(row * static_cast<size_t>(n_out));
  dsinfer::tensor::quantize_rows(type, wf.data(), w.data(), n_out, n_in);
  const vk::DeviceWeight dw = vk::upload_weight(*b.device, {type, w.data(), n_in, n_out, 0}, "w");
  vk::DeviceBuffer x(*b.device, static_cast<size_t>(n_rows * n_in) * 4, "x");
  vk::DeviceBuffer y(*b.device, static_cast<size_t>(n_rows * n_out) * 4, "y");
  std::vector<float> xs(static_cast<size_t>(n_rows * n_in), 0.5f);
  vk::upload(x, 0, xs.data(), xs.size() * 4);
  for (auto _ : state) {
    b.recorder->begin();
    for (int i = 0; i < kPerSubmit; ++i) {
      vk::matmul(*b.recorder, dw, {vk::whole(x), 0, n_in}, n_rows, {vk::whole(y), 0, n_out}, path);
    }
    b.recorder->submit_and_wait();
  }
  const auto calls = static_cast<int64_t>(state.iterations()) * kPerSubmit;
  state.SetBytesProcessed(calls * static_cast<int64_t>(w.size()));
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(calls) * 2.0 * n_in * n_out * n_rows * 1e-9, benchmark::Counter::kIsRate);
  state.SetLabel(b.device->info().name);
}

#define DSINFER_VK_BENCH(T)                                                                        \
  void BM_vulkan_gemv_##T(benchmark::State& s) { run(s, DType::k##T, 1, vk::MatmulPath::kGemv); }  \
  void BM_vulkan_gemm512_##T(benchmark::State& s) {                                                \
    run(s, DType::k##T, 512, vk::MatmulPath::kGemm);                                               \
  }                                                                                                \
  BENCHMARK(BM_vulkan_gemv_##T)->Args({4096, 4096})->UseRealTime()->Unit(benchmark::kMillisecond); \
  BENCHMARK(BM_vulkan_gemm512_##T)->Args({2048, 2048})->UseRealTime()->Unit(benchmark::kMillisecond)

DSINFER_VK_BENCH(Q4_K);
DSINFER_VK_BENCH(Q6_K);
DSINFER_VK_BENCH(Q8_0);
DSINFER_VK_BENCH(F16);

}  // namespace

BENCHMARK_MAIN();
