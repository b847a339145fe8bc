// matmul(): argument checks, call counting, activation preparation and the split of output rows
// over the thread pool; the arithmetic is in the per-ISA files (matmul_scalar/avx2/avx512.cpp).
#include "kernels/matmul.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <unordered_map>

#include "base/error.h"
#include "kernels/matmul_internal.h"

namespace dsinfer::kernels {

using matmul_detail::ActBatch;
using matmul_detail::ActFormat;

namespace {

struct CallCounter {
  std::atomic<bool> on{false};
  std::mutex mu;
  std::unordered_map<const void*, uint64_t> counts;
};

CallCounter& call_counter() {
  static CallCounter counter;
  return counter;
}

const matmul_detail::IsaOps& ops_for(Isa isa) {
  for (Isa a : available_isas()) {
    if (a != isa) continue;
    switch (isa) {
      case Isa::kScalar:
        return matmul_detail::ops_scalar();
      case Isa::kAvx2:
        return matmul_detail::ops_avx2();
      case Isa::kAvx512:
        return matmul_detail::ops_avx512();
    }
  }
  fail(ErrorKind::kUnsupported, "matmul: ISA {} is not available here (available: {})",
       isa_name(isa), available_isas_text());
}

struct AlignedFree {
  void operator()(uint8_t* p) const { ::operator delete[](p, std::align_val_t{64}); }
};
using AlignedBuffer = std::unique_ptr<uint8_t[], AlignedFree>;

size_t round_up(size_t n) { return (n + 63) & ~size_t{63}; }

// Allocates the arrays of `a` for its format (one buffer) and returns the buffer that owns them.
AlignedBuffer allocate_acts(ActBatch& a) {
  const size_t rows = static_cast<size_t>(a.n_rows);
  const size_t n_in = static_cast<size_t>(a.n_in);
  const size_t nb = static_cast<size_t>(a.n_blocks);
  size_t bytes = 0;
  size_t off_f = 0, off_q = 0, off_d = 0, off_s = 0, off_isum = 0, off_bsums = 0;
  const auto take = [&](size_t& off, size_t n) {
    off = bytes;
    bytes += round_up(n);
  };
  switch (a.format) {
    case ActFormat::kF32:
      return nullptr;
    case ActFormat::kF16:
    case ActFormat::kBF16:
      a.ldf = static_cast<int64_t>(round_up(n_in * sizeof(float)) / sizeof(float));
      take(off_f, rows * static_cast<size_t>(a.ldf) * sizeof(float));
      break;
    case ActFormat::kQ8_0:
    case ActFormat::kQ8_1:
      take(off_q, rows * n_in);
      take(off_d, rows * nb * sizeof(float));
      take(off_s, rows * nb * sizeof(float));
      take(off_isum, rows * nb * sizeof(int32_t));
      break;
    case ActFormat::kQ8_K:
      take(off_q, rows * n_in);
      take(off_d, rows * nb * sizeof(float));
      take(off_bsums, rows * nb * 16 * sizeof(int16_t));
      break;
  }
  AlignedBuffer buf(static_cast<uint8_t*>(::operator new[](bytes, std::align_val_t{64})));
  uint8_t* base = buf.get();
  if (a.format == ActFormat::kF16 || a.format == ActFormat::kBF16) {
    a.f = reinterpret_cast<float*>(base + off_f);
  } else {
    a.q = reinterpret_cast<int8_t*>(base + off_q);
    a.d = reinterpret_cast<float*>(base + off_d);
    if (a.format == ActFormat::kQ8_K) {
      a.bsums = reinterpret_cast<int16_t*>(base + off_bsums);
    } else {
      a.s = reinterpret_cast<float*>(base + off_s);
      a.isum = reinterpret_cast<int32_t*>(base + off_isum);
    }
  }
  return buf;
}

void check_args(const WeightView& w, const float* x, int64_t ldx, int64_t n_rows, const float* y,
                int64_t ldy) {
  const auto& info = tensor::dtype_info(w.type);
  (void)matmul_detail::act_format_for(w.type);
  if (w.n_in <= 0 || w.n_out < 0) {
    fail(ErrorKind::kInvalidInput, "matmul: bad weight shape [{}, {}] ({})", w.n_in, w.n_out,
         info.name);
  }
  if (w.n_in % info.block_size != 0) {
    fail(ErrorKind::kInvalidInput, "matmul: {} weight rows of {} elements are not a multiple of {}",
         info.name, w.n_in, info.block_size);
  }
  if (w.row_stride != 0 && w.row_stride < tensor::row_bytes(info, w.n_in)) {
    fail(ErrorKind::kInvalidInput, "matmul: row stride {} < row size {} ({} x {})", w.row_stride,
         tensor::row_bytes(info, w.n_in), info.name, w.n_in);
  }
  if (w.layout == WeightLayout::kRows8 &&
      ((w.type != tensor::DType::kQ4_K && w.type != tensor::DType::kQ6_K) || w.n_out % 8 != 0)) {
    fail(ErrorKind::kInvalidInput,
         "matmul: a packed (kRows8) weight must be Q4_K or Q6_K with a "
         "multiple of 8 rows (got {} x {})",
         info.name, w.n_out);
  }
  if (n_rows < 0 || ldx < w.n_in || ldy < w.n_out) {
    fail(ErrorKind::kInvalidInput, "matmul: bad batch (n_rows {}, ldx {} < n_in {} or ldy {} < {})",
         n_rows, ldx, w.n_in, ldy, w.n_out);
  }
  if (n_rows > 0 && w.n_out > 0 && (w.data == nullptr || x == nullptr || y == nullptr)) {
    fail(ErrorKind::kInvalidInput, "matmul: null weight, input or output pointer");
  }
}

}  // namespace

namespace matmul_detail {

ActFormat act_format_for(tensor::DType type) {
  using tensor::DType;
  switch (type) {
    case DType::kF32:
      return ActFormat::kF32;
    case DType::kF16:
      return ActFormat::kF16;
    case DType::kBF16:
      return ActFormat::kBF16;
    case DType::kQ8_0:
    case DType::kQ4_0:
    case DType::kQ5_0:
      return ActFormat::kQ8_0;
    case DType::kQ4_1:
    case DType::kQ5_1:
      return ActFormat::kQ8_1;
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return ActFormat::kQ8_K;
    default:
      fail(ErrorKind::kUnsupported,
           "matmul: weight type {} is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, "
           "Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)",
           tensor::dtype_name(type));
  }
}

}  // namespace matmul_detail

Isa matmul_with_isa(Isa isa, const WeightView& w, const float* x, int64_t ldx, int64_t n_rows,
                    float* y, int64_t ldy, ThreadPool& pool) {
  check_args(w, x, ldx, n_rows, y, ldy);
  const auto& ops = ops_for(isa);
  CallCounter& counter = call_counter();
  if (counter.on.load(std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> lock(counter.mu);
    ++counter.counts[w.data];
  }
  if (n_rows == 0 || w.n_out == 0) return ops.isa;

  const auto& info = tensor::dtype_info(w.type);
  const size_t row_bytes = tensor::row_bytes(info, w.n_in);
  ActBatch a;
  a.format = matmul_detail::act_format_for(w.type);
  a.n_rows = n_rows;
  a.n_in = w.n_in;
  a.n_blocks = a.format == ActFormat::kQ8_K ? w.n_in / 256 : w.n_in / 32;
  if (a.format == ActFormat::kF32) {
    a.f = const_cast<float*>(x);  // read only: kF32 activations are used in place
    a.ldf = ldx;
  } else if ((a.format == ActFormat::kQ8_0 || a.format == ActFormat::kQ8_1) && w.n_in % 32 != 0) {
    fail(ErrorKind::kInvalidInput, "matmul: n_in {} is not a multiple of 32", w.n_in);
  } else if (a.format == ActFormat::kQ8_K && w.n_in % 256 != 0) {
    fail(ErrorKind::kInvalidInput, "matmul: n_in {} is not a multiple of 256", w.n_in);
  }
  const AlignedBuffer buffer = allocate_acts(a);
  if (a.format != ActFormat::kF32) {
    // NOTE: rows are quantised in parallel only when there is enough work to pay the wake-up.
    const int64_t grain = std::max<int64_t>(1, 16384 / w.n_in);
    pool.parallel_for(n_rows, grain,
                      [&](int64_t r0, int64_t r1, int) { ops.prepare(a, x, ldx, r0, r1); });
  }
  // Output rows in chunks of 16 (a multiple of every micro-kernel's row count).
  pool.parallel_for(
      w.n_out, 16, [&](int64_t o0, int64_t o1, int) { ops.tile(w, row_bytes, a, o0, o1, y, ldy); });
  return ops.isa;
}

void matmul(const WeightView& w, const float* x, int64_t ldx, int64_t n_rows, float* y, int64_t ldy,
            ThreadPool& pool) {
  matmul_with_isa(selected_isa(), w, x, ldx, n_rows, y, ldy, pool);
}

void matmul_counting_enable(bool on) { call_counter().on.store(on, std::memory_order_relaxed); }

uint64_t matmul_call_count(const void* weight_data) {
  CallCounter& counter = call_counter();
  std::lock_guard<std::mutex> lock(counter.mu);
  const auto it = counter.counts.find(weight_data);
  return it == counter.counts.end() ? 0 : it->second;
}

void matmul_call_counts_reset() {
  CallCounter& counter = call_counter();
  std::lock_guard<std::mutex> lock(counter.mu);
  counter.counts.clear();
}

}  // namespace dsinfer::kernels
