// ExecContext (CPU backend) and its scratch arena.
#include "kernels/exec_context.h"

#include <algorithm>
#include <new>

#include "base/error.h"

namespace dsinfer::kernels {
namespace {

constexpr size_t kAlign = 64;
size_t round_up(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

}  // namespace

const char* device_name(Device device) {
  switch (device) {
    case Device::kCpu:
      return "cpu";
  }
  return "unknown";
}

void ScratchArena::Free::operator()(uint8_t* p) const {
  ::operator delete[](p, std::align_val_t{kAlign});
}

uint8_t* ScratchArena::take(size_t bytes) {
  bytes = round_up(bytes);
  if (chunks_.empty() || chunks_.back().bytes - used_ < bytes) {
    Chunk c;
    c.bytes = std::max(bytes, chunks_.empty() ? size_t{0} : chunks_.back().bytes);
    c.data.reset(static_cast<uint8_t*>(::operator new[](c.bytes, std::align_val_t{kAlign})));
    chunks_.push_back(std::move(c));
    used_ = 0;
  }
  uint8_t* p = chunks_.back().data.get() + used_;
  used_ += bytes;
  taken_ += bytes;
  return p;
}

void ScratchArena::reset() {
  if (chunks_.size() > 1) {
    // What the last call needed, in one chunk from now on.
    size_t total = 0;
    for (const Chunk& c : chunks_) total += c.bytes;
    chunks_.clear();
    Chunk c;
    c.bytes = total;
    c.data.reset(static_cast<uint8_t*>(::operator new[](total, std::align_val_t{kAlign})));
    chunks_.push_back(std::move(c));
  }
  used_ = 0;
  taken_ = 0;
}

size_t ScratchArena::capacity() const {
  size_t total = 0;
  for (const Chunk& c : chunks_) total += c.bytes;
  return total;
}

ExecContext::ExecContext(ThreadPool& pool)
    : pool_(&pool), scratch_(std::make_unique<ScratchArena>()) {
  views_.reserve(static_cast<size_t>(pool.size()));
  for (int t = 0; t < pool.size(); ++t)
    views_.push_back(std::unique_ptr<ExecContext>(new ExecContext(View{})));
}

ExecContext::ExecContext(View) : scratch_(std::make_unique<ScratchArena>()) {}

ExecContext::~ExecContext() = default;

int ExecContext::threads() const { return pool_ != nullptr ? pool_->size() : 1; }

void ExecContext::run(const std::function<void(int thread, int n_threads)>& fn) {
  if (pool_ != nullptr) return pool_->run(fn);
  fn(0, 1);
}

void ExecContext::parallel_for(
    int64_t n, int64_t grain,
    const std::function<void(int64_t begin, int64_t end, int thread)>& fn) {
  if (pool_ != nullptr) return pool_->parallel_for(n, grain, fn);
  if (n > 0) fn(0, n, 0);
}

void Buffer::Free::operator()(uint8_t* p) const {
  ::operator delete[](p, std::align_val_t{kAlign});
}

Buffer ExecContext::allocate(size_t bytes, const char* what) {
  Buffer b;
  b.device_ = device();
  b.data_.reset(
      static_cast<uint8_t*>(::operator new[](bytes, std::align_val_t{kAlign}, std::nothrow)));
  if (b.data_ == nullptr && bytes > 0) {
    fail(ErrorKind::kUnavailable, "{}: cannot allocate {} bytes on the {} device", what, bytes,
         device_name(device()));
  }
  b.bytes_ = bytes;
  return b;
}

ExecContext& ExecContext::single_thread(int thread) {
  if (pool_ == nullptr) return *this;  // a view of a view is itself
  if (thread < 0 || thread >= static_cast<int>(views_.size())) {
    fail(ErrorKind::kInternal, "ExecContext::single_thread: thread {} of {}", thread,
         views_.size());
  }
  return *views_[static_cast<size_t>(thread)];
}

}  // namespace dsinfer::kernels
