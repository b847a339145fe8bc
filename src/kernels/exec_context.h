// The execution context every kernel runs in: which device, which threads, which scratch memory.
// The CPU backend is the first (and today only) implementation; docs/architecture.md ("Adding a
// backend") shows where a GPU backend plugs in. Kernels take an ExecContext& instead of a
// ThreadPool&, so a kernel called from inside another parallel region asks for a one-thread view
// (single_thread) rather than building a pool of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/thread_pool.h"

namespace dsinfer::kernels {

// Where a buffer lives and a kernel runs.
enum class Device { kCpu };
const char* device_name(Device device);

// Memory that knows where it lives: one allocation of an execution context (ExecContext::
// allocate) for kernels to read and write — a model's activations, its KV pages. Host memory
// (64-byte aligned, contents undefined, pages touched only when written) on the CPU backend;
// a device backend allocates on its device behind the same call. Move-only.
class Buffer {
 public:
  Buffer() = default;

  Device device() const { return device_; }
  size_t bytes() const { return bytes_; }
  // The memory as T*: host-addressable, as Device::kCpu (the only device today) is; code that
  // touches it from the host is CPU-backend code.
  template <class T>
  T* as() const {
    return reinterpret_cast<T*>(data_.get());
  }

 private:
  friend class ExecContext;
  struct Free {
    void operator()(uint8_t* p) const;
  };
  Device device_ = Device::kCpu;
  size_t bytes_ = 0;
  std::unique_ptr<uint8_t[], Free> data_;
};

// Grow-only scratch memory for one kernel call at a time: take() hands out 64-byte aligned
// stretches until reset(), which makes the whole arena free again (and, after a call that needed
// more than one chunk, merges them into one, so steady state allocates nothing).
// Not thread-safe: one per thread that runs kernels (ExecContext gives each view its own).
class ScratchArena {
 public:
  ScratchArena() = default;
  ScratchArena(const ScratchArena&) = delete;
  ScratchArena& operator=(const ScratchArena&) = delete;

  // A stretch of `bytes` (rounded up to 64), valid until the next reset().
  uint8_t* take(size_t bytes);
  void reset();
  size_t capacity() const;

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  struct Chunk {
    std::unique_ptr<uint8_t[], Free> data;
    size_t bytes = 0;
  };
  std::vector<Chunk> chunks_;
  size_t used_ = 0;   // bytes taken from the last chunk
  size_t taken_ = 0;  // bytes taken since reset() over all chunks
};

// NOTE: a context is either the pool's (work spreads over every pool thread; the calling thread
// is thread 0) or a one-thread view of it (work runs inline on the calling thread, which must be
// thread `t` of a run over the pool). Views are created with the context and live as long as it.
class ExecContext {
 public:
  // CPU backend over `pool` (which must outlive the context): one scratch arena per pool thread.
  explicit ExecContext(ThreadPool& pool);
  ExecContext(const ExecContext&) = delete;
  ExecContext& operator=(const ExecContext&) = delete;
  ~ExecContext();

  Device device() const { return Device::kCpu; }
  // Threads work is spread over: the pool's size, or 1 for a one-thread view.
  int threads() const;

  // As ThreadPool::run / parallel_for, over this context's threads (inline for a view).
  void run(const std::function<void(int thread, int n_threads)>& fn);
  void parallel_for(int64_t n, int64_t grain,
                    const std::function<void(int64_t begin, int64_t end, int thread)>& fn);

  // The one-thread view for pool thread `thread` (0 <= thread < threads() of the pool's context):
  // kernels called from inside run()/parallel_for() on that thread take it.
  ExecContext& single_thread(int thread);

  // Scratch of the thread this context runs on (a kernel resets it when it starts).
  ScratchArena& scratch() { return *scratch_; }

  // `bytes` of memory on this context's device. Throws Error(kUnavailable) naming `what` and
  // the size when it cannot be had.
  Buffer allocate(size_t bytes, const char* what);

 private:
  struct View {};
  explicit ExecContext(View);

  ThreadPool* pool_ = nullptr;  // nullptr: a one-thread view
  std::unique_ptr<ScratchArena> scratch_;
  std::vector<std::unique_ptr<ExecContext>> views_;  // one per pool thread (pool context only)
};

// A grow-only array of T in an execution context's memory: activations a model reuses across
// steps (steady-state steps allocate nothing).
template <class T>
class DeviceArray {
 public:
  // Room for at least n elements on ctx's device. Growing reallocates and does not keep the
  // contents (every step writes its activations before reading them).
  void reserve(ExecContext& ctx, int64_t n, const char* what) {
    if (n <= size_) return;
    buffer_ = ctx.allocate(static_cast<size_t>(n) * sizeof(T), what);
    size_ = n;
  }
  T* data() const { return buffer_.as<T>(); }
  int64_t size() const { return size_; }
  Device device() const { return buffer_.device(); }

 private:
  Buffer buffer_;
  int64_t size_ = 0;
};

}  // namespace dsinfer::kernels
