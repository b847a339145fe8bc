// matmul(): argument checks, call counting, activation preparation and the split of output rows
// over the thread pool; the arithmetic is in the per-ISA files (matmul_scalar/avx2/avx512.cpp).
#include "kernels/matmul.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "kernels/matmul_internal.h"
#include "kernels/weight_pack.h"

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

size_t round_up_64(size_t n) { return (n + 63) & ~size_t{63}; }

// Takes the arrays of `a` for its format from the context's scratch (one stretch).
void allocate_acts(ActBatch& a, ScratchArena& scratch) {
  const size_t rows = static_cast<size_t>(a.n_rows);
  const size_t n_in = static_cast<size_t>(a.n_in);
  const size_t nb = static_cast<size_t>(a.n_blocks);
  size_t bytes = 0;
  size_t off_f = 0, off_q = 0, off_d = 0, off_s = 0, off_isum = 0, off_bsums = 0, off_bsums32 = 0;
  const auto take = [&](size_t& off, size_t n) {
    off = bytes;
    bytes += round_up_64(n);
  };
  switch (a.format) {
    case ActFormat::kF32:
      return;
    case ActFormat::kF16:
    case ActFormat::kBF16:
      a.ldf = static_cast<int64_t>(round_up_64(n_in * sizeof(float)) / sizeof(float));
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
      take(off_bsums32, rows * nb * 8 * sizeof(int16_t));
      break;
  }
  uint8_t* base = scratch.take(bytes);
  if (a.format == ActFormat::kF16 || a.format == ActFormat::kBF16) {
    a.f = reinterpret_cast<float*>(base + off_f);
  } else {
    a.q = reinterpret_cast<int8_t*>(base + off_q);
    a.d = reinterpret_cast<float*>(base + off_d);
    if (a.format == ActFormat::kQ8_K) {
      a.bsums = reinterpret_cast<int16_t*>(base + off_bsums);
      a.bsums32 = reinterpret_cast<int16_t*>(base + off_bsums32);
    } else {
      a.s = reinterpret_cast<float*>(base + off_s);
      a.isum = reinterpret_cast<int32_t*>(base + off_isum);
    }
  }
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
  if (w.layout == WeightLayout::kRows8 && (!has_rows8_layout(w.type) || w.n_out % 8 != 0)) {
    fail(ErrorKind::kInvalidInput,
         "matmul: a packed (kRows8) weight must be of a type with an 8-row layout ({}) with a "
         "multiple of 8 rows (got {} x {})",
         rows8_types_text(), info.name, w.n_out);
  }
  if (n_rows < 0 || ldx < w.n_in || ldy < w.n_out) {
    fail(ErrorKind::kInvalidInput, "matmul: bad batch (n_rows {}, ldx {} < n_in {} or ldy {} < {})",
         n_rows, ldx, w.n_in, ldy, w.n_out);
  }
  if (n_rows > 0 && w.n_out > 0 && (w.data == nullptr || x == nullptr || y == nullptr)) {
    fail(ErrorKind::kInvalidInput, "matmul: null weight, input or output pointer");
  }
}

// Rows [r0, r0 + n) of prepared activations, as a batch of their own (the arrays are per row).
ActBatch act_rows(const ActBatch& a, int64_t r0, int64_t n) {
  ActBatch v = a;
  v.n_rows = n;
  switch (a.format) {
    case ActFormat::kF32:
    case ActFormat::kF16:
    case ActFormat::kBF16:
      v.f = a.f + r0 * a.ldf;
      break;
    case ActFormat::kQ8_0:
    case ActFormat::kQ8_1:
      v.q = a.q + r0 * a.n_in;
      v.d = a.d + r0 * a.n_blocks;
      v.s = a.s + r0 * a.n_blocks;
      v.isum = a.isum + r0 * a.n_blocks;
      break;
    case ActFormat::kQ8_K:
      v.q = a.q + r0 * a.n_in;
      v.d = a.d + r0 * a.n_blocks;
      v.bsums = a.bsums + r0 * a.n_blocks * 16;
      v.bsums32 = a.bsums32 + r0 * a.n_blocks * 8;
      break;
  }
  return v;
}

}  // namespace

namespace matmul_detail {

const IsaOps& isa_ops(Isa isa) {
  // NOTE: read once: CPUID traps to the hypervisor on a VM, and this runs on every matmul call
  // (a V2-Lite decode step makes ~2,000; re-reading cost 4 % of its time).
  static const std::vector<Isa> available = available_isas();
  for (Isa a : available) {
    if (a != isa) continue;
    switch (isa) {
      case Isa::kScalar:
        return ops_scalar();
      case Isa::kAvx2:
        return ops_avx2();
      case Isa::kAvxVnni:
        return ops_avxvnni();
      case Isa::kAvx512:
        return ops_avx512();
      case Isa::kAvx512Vnni:
        return ops_avx512vnni();
    }
  }
  fail(ErrorKind::kUnsupported, "matmul: ISA {} is not available here (available: {})",
       isa_name(isa), available_isas_text());
}

ActFormat act_format_for(tensor::DType type) {
  const WeightTypeRow* row = weight_type_row(type);
  if (row == nullptr) {
    fail(ErrorKind::kUnsupported, "matmul: weight type {} is not supported (supported: {})",
         tensor::dtype_name(type), matmul_types_text());
  }
  return row->act;
}

}  // namespace matmul_detail

namespace {

// kQ8_K: bsums32 from bsums (each sum of 32 elements is two adjacent sums of 16).
void sum_pairs_of_16(const ActBatch& a, int64_t r0, int64_t r1) {
  for (int64_t k = r0 * a.n_blocks; k < r1 * a.n_blocks; ++k) {
    for (int64_t j = 0; j < 8; ++j) {
      a.bsums32[k * 8 + j] =
          static_cast<int16_t>(a.bsums[k * 16 + 2 * j] + a.bsums[k * 16 + 2 * j + 1]);
    }
  }
}

const ActBatch& prepare_acts(const matmul_detail::IsaOps& ops, tensor::DType type, const float* x,
                             int64_t ldx, int64_t n_rows, int64_t n_in,
                             std::vector<ActBatch>& prepared, ExecContext& ctx) {
  const ActFormat format = matmul_detail::act_format_for(type);
  // The activations of one call are prepared once per format and shared by the targets needing it.
  for (const ActBatch& p : prepared) {
    if (p.format == format && p.n_in == n_in) return p;
  }
  ActBatch& a = prepared.emplace_back();
  a.format = format;
  a.n_rows = n_rows;
  a.n_in = n_in;
  a.n_blocks = format == ActFormat::kQ8_K ? n_in / 256 : n_in / 32;
  if (format == ActFormat::kF32) {
    a.f = const_cast<float*>(x);  // read only: kF32 activations are used in place
    a.ldf = ldx;
    return a;
  }
  allocate_acts(a, ctx.scratch());
  // NOTE: rows are quantised in parallel only when there is enough work to pay the wake-up.
  const int64_t grain = std::max<int64_t>(1, 16384 / n_in);
  ctx.parallel_for(n_rows, grain, [&](int64_t r0, int64_t r1, int) {
    ops.prepare(a, x, ldx, r0, r1);
    if (format == ActFormat::kQ8_K) sum_pairs_of_16(a, r0, r1);
  });
  return a;
}

}  // namespace

Isa matmul_multi_with_isa(Isa isa, std::span<const MatmulTarget> targets, const float* x,
                          int64_t ldx, int64_t n_rows, ExecContext& ctx) {
  for (const MatmulTarget& t : targets) {
    if (t.x_rows >= 0 && (t.x_row < 0 || t.x_row > n_rows - t.x_rows)) {
      fail(ErrorKind::kInvalidInput, "matmul: target rows [{}, {}) outside the {} rows of x",
           t.x_row, t.x_row + t.x_rows, n_rows);
    }
    check_args(t.w, x, ldx, t.x_rows >= 0 ? t.x_rows : n_rows, t.y, t.ldy);
  }
  const auto& ops = matmul_detail::isa_ops(isa);
  CallCounter& counter = call_counter();
  if (counter.on.load(std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> lock(counter.mu);
    for (const MatmulTarget& t : targets) ++counter.counts[t.w.data];
  }
  if (n_rows == 0) return ops.isa;

  // Per target: its prepared activations (its rows of them), its row size, and its share of the
  // work measured in weight bytes (what a thread streams), so that threads finish together.
  ctx.scratch().reset();  // this call's prepared activations live in it until the next call
  std::vector<ActBatch> prepared;
  prepared.reserve(targets.size());  // no reallocation: prepare_acts returns references
  struct Part {
    ActBatch acts;
    size_t row_bytes;
    size_t cost_begin;  // bytes of the targets before this one
  };
  std::vector<Part> parts(targets.size());
  size_t total_cost = 0;
  size_t total_work = 0;  // weight bytes x activation rows
  for (size_t i = 0; i < targets.size(); ++i) {
    const MatmulTarget& t = targets[i];
    const WeightView& w = t.w;
    const size_t row_bytes = tensor::row_bytes(tensor::dtype_info(w.type), w.n_in);
    const ActBatch& all = prepare_acts(ops, w.type, x, ldx, n_rows, w.n_in, prepared, ctx);
    const int64_t rows = t.x_rows >= 0 ? t.x_rows : n_rows;
    // A target without rows streams nothing: it costs nothing.
    const size_t cost = rows > 0 ? row_bytes * static_cast<size_t>(w.n_out) : 0;
    parts[i] = {t.x_rows >= 0 ? act_rows(all, t.x_row, t.x_rows) : all, row_bytes, total_cost};
    total_cost += cost;
    total_work += cost * static_cast<size_t>(rows);
  }
  if (total_cost == 0) return ops.isa;

  // NOTE: dynamic (guided) split. All targets' weight bytes form one range; threads claim the
  // next piece from a shared position until none is left, so a thread slowed by its memory
  // channel or by the hypervisor takes less instead of making the others wait at the end (a
  // static half each left ~7 % of decode time spinning). A piece is 1/(2 * threads) of what is
  // left, at least kMinPieceBytes: long runs first (one prefetch stream, long passes over each
  // weight panel in prefill), short ones at the end where they even out the finish. A piece's
  // output rows start on a multiple of 16 (every micro-kernel's row count and the packed
  // layouts' 8-row groups divide it).
  constexpr int64_t kRowAlign = 16;
  constexpr size_t kMinPieceBytes = size_t{64} << 10;
  const int n_threads = ctx.threads();
  // Small products stay on the calling thread (the hand-off would cost more than the work).
  const bool parallel = n_threads > 1 && total_work >= 32768;
  // Runs the output rows whose first weight byte lies in [lo, hi) of the combined range.
  const auto run_range = [&](size_t lo, size_t hi) {
    for (size_t i = 0; i < targets.size(); ++i) {
      const MatmulTarget& t = targets[i];
      const size_t begin = parts[i].cost_begin;
      if (parts[i].acts.n_rows == 0) continue;
      const size_t end = begin + parts[i].row_bytes * static_cast<size_t>(t.w.n_out);
      if (end <= lo || begin >= hi) continue;
      const auto first_row = [&](size_t cost) {
        if (cost <= begin) return int64_t{0};
        if (cost >= end) return t.w.n_out;
        const auto row =
            static_cast<int64_t>((cost - begin + parts[i].row_bytes - 1) / parts[i].row_bytes);
        return std::min(t.w.n_out, (row + kRowAlign - 1) / kRowAlign * kRowAlign);
      };
      const int64_t o0 = first_row(lo);
      const int64_t o1 = first_row(hi);
      if (o0 < o1) ops.tile(t.w, parts[i].row_bytes, parts[i].acts, o0, o1, t.y, t.ldy);
    }
  };
  if (!parallel) {
    run_range(0, total_cost);
  } else {
    const size_t divisor = 2 * static_cast<size_t>(n_threads);
    std::atomic<size_t> next{0};
    ctx.run([&](int, int) {
      size_t lo = next.load(std::memory_order_relaxed);
      while (lo < total_cost) {
        const size_t hi =
            std::min(total_cost, lo + std::max(kMinPieceBytes, (total_cost - lo) / divisor));
        if (next.compare_exchange_weak(lo, hi, std::memory_order_relaxed)) {
          run_range(lo, hi);
          lo = next.load(std::memory_order_relaxed);
        }
      }
    });
  }
  return ops.isa;
}

void matmul_multi(std::span<const MatmulTarget> targets, const float* x, int64_t ldx,
                  int64_t n_rows, ExecContext& ctx) {
  matmul_multi_with_isa(selected_isa(), targets, x, ldx, n_rows, ctx);
}

Isa matmul_with_isa(Isa isa, const WeightView& w, const float* x, int64_t ldx, int64_t n_rows,
                    float* y, int64_t ldy, ExecContext& ctx) {
  const MatmulTarget target{w, y, ldy};
  return matmul_multi_with_isa(isa, std::span<const MatmulTarget>(&target, 1), x, ldx, n_rows, ctx);
}

void matmul(const WeightView& w, const float* x, int64_t ldx, int64_t n_rows, float* y, int64_t ldy,
            ExecContext& ctx) {
  matmul_with_isa(selected_isa(), w, x, ldx, n_rows, y, ldy, ctx);
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
