// Persistent worker pool (condition-variable wake-up after a short, time-bounded spin) and the
// CPU count a process may use (affinity mask capped by the cgroup v1/v2 quota).
#include "base/thread_pool.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace dsinfer {

namespace {

// NOTE: after finishing a task, workers (and the caller waiting for them) poll for at most this
// long before blocking on the condition variable. Kernels are issued back to back during a
// forward pass, so the next task usually arrives within microseconds and the futex round trip
// is saved; the bound is wall-clock time, so an idle pool always ends up blocked (0 % CPU).
constexpr std::chrono::microseconds kSpinBound{100};
constexpr int kMaxThreads = 1024;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Polls `ready` until it returns true or kSpinBound elapsed; returns its last value.
template <typename Pred>
bool spin_until(Pred ready) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    if (ready()) return true;
    cpu_relax();
    if ((i & 31) == 31 && std::chrono::steady_clock::now() - start > kSpinBound) return ready();
  }
}

}  // namespace

struct ThreadPool::State {
  int n_threads = 1;
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable cv_work;
  std::condition_variable cv_done;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  std::atomic<bool> stop{false};
  const std::function<void(int, int)>* fn = nullptr;  // valid while a run() is in flight
  std::mutex error_mu;
  std::exception_ptr error;

  void record_error(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (!error) error = std::move(e);
  }

  void worker_loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      const bool woke = spin_until([&] {
        return stop.load(std::memory_order_acquire) ||
               generation.load(std::memory_order_acquire) != seen;
      });
      if (!woke) {
        std::unique_lock<std::mutex> lock(mu);
        cv_work.wait(lock, [&] {
          return stop.load(std::memory_order_acquire) ||
                 generation.load(std::memory_order_acquire) != seen;
        });
      }
      if (stop.load(std::memory_order_acquire)) return;
      seen = generation.load(std::memory_order_acquire);
      try {
        (*fn)(index, n_threads);
      } catch (const std::exception&) {
        record_error(std::current_exception());
      }
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu);
        cv_done.notify_one();
      }
    }
  }
};

ThreadPool::ThreadPool(int n_threads) : state_(std::make_unique<State>()) {
  if (n_threads < 1 || n_threads > kMaxThreads) {
    fail(ErrorKind::kInvalidInput, "thread count must be in 1..{}, got {}", kMaxThreads, n_threads);
  }
  state_->n_threads = n_threads;
  state_->workers.reserve(static_cast<size_t>(n_threads - 1));
  for (int i = 1; i < n_threads; ++i) {
    state_->workers.emplace_back([s = state_.get(), i] { s->worker_loop(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stop.store(true, std::memory_order_release);
  }
  state_->cv_work.notify_all();
  for (auto& t : state_->workers) t.join();
}

int ThreadPool::size() const { return state_->n_threads; }

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  State& s = *state_;
  if (s.n_threads == 1) {
    fn(0, 1);
    return;
  }
  s.fn = &fn;
  s.error = nullptr;
  s.pending.store(s.n_threads - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.generation.fetch_add(1, std::memory_order_release);
  }
  s.cv_work.notify_all();
  try {
    fn(0, s.n_threads);
  } catch (const std::exception&) {
    s.record_error(std::current_exception());
  }
  const auto all_done = [&] { return s.pending.load(std::memory_order_acquire) == 0; };
  if (!spin_until(all_done)) {
    std::unique_lock<std::mutex> lock(s.mu);
    s.cv_done.wait(lock, all_done);
  }
  s.fn = nullptr;
  if (s.error) {
    std::exception_ptr e = s.error;
    s.error = nullptr;
    std::rethrow_exception(e);
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain,
                              const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t n_chunks = (n + grain - 1) / grain;
  const int64_t n_used = std::min<int64_t>(n_chunks, size());
  if (n_used == 1) {
    fn(0, n, 0);
    return;
  }
  run([&](int thread, int) {
    if (thread >= n_used) return;
    const int64_t c0 = n_chunks * thread / n_used;
    const int64_t c1 = n_chunks * (thread + 1) / n_used;
    const int64_t begin = c0 * grain;
    const int64_t end = std::min(n, c1 * grain);
    if (begin < end) fn(begin, end, thread);
  });
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<int64_t> parse_int(std::string_view s) {
  s = trim(s);
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<double> min_quota(std::optional<double> a, std::optional<double> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// Paths of this process's cgroup from /proc/self/cgroup: the v2 path ("0::/x") and the v1 path
// of the cpu controller ("N:cpu,cpuacct:/x").
struct CgroupPaths {
  std::string v2;
  std::string v1_cpu;
};

CgroupPaths read_cgroup_paths() {
  CgroupPaths out;
  const auto text = read_small_file("/proc/self/cgroup");
  if (!text) return out;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && controllers.empty()) {
      out.v2 = path;
    } else {
      std::istringstream cs(controllers);
      std::string c;
      while (std::getline(cs, c, ',')) {
        if (c == "cpu") out.v1_cpu = path;
      }
    }
  }
  return out;
}

// Every ancestor of `path` ("/a/b" -> "/a/b", "/a", ""), so a limit set on a parent counts.
std::vector<std::string> ancestors(std::string path) {
  std::vector<std::string> out;
  while (!path.empty() && path.back() == '/') path.pop_back();
  for (;;) {
    out.push_back(path);
    if (path.empty()) break;
    const size_t slash = path.rfind('/');
    path = slash == std::string::npos ? std::string() : path.substr(0, slash);
  }
  return out;
}

std::optional<double> cgroup_quota_cpus() {
  const CgroupPaths paths = read_cgroup_paths();
  std::optional<double> quota;
  for (const auto& dir : ancestors(paths.v2)) {
    if (const auto text = read_small_file("/sys/fs/cgroup" + dir + "/cpu.max")) {
      quota = min_quota(quota, parse_cgroup_v2_cpu_max(*text));
    }
  }
  for (const char* root : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
    for (const auto& dir : ancestors(paths.v1_cpu)) {
      const std::string base = std::string(root) + dir;
      const auto q = read_small_file(base + "/cpu.cfs_quota_us");
      const auto p = read_small_file(base + "/cpu.cfs_period_us");
      if (q && p) quota = min_quota(quota, parse_cgroup_v1_cpu_quota(*q, *p));
    }
  }
  return quota;
}

}  // namespace

std::optional<double> parse_cgroup_v2_cpu_max(std::string_view contents) {
  contents = trim(contents);
  const size_t space = contents.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view quota = trim(contents.substr(0, space));
  if (quota == "max") return std::nullopt;
  const auto q = parse_int(quota);
  const auto p = parse_int(contents.substr(space + 1));
  if (!q || !p || *q <= 0 || *p <= 0) return std::nullopt;
  return static_cast<double>(*q) / static_cast<double>(*p);
}

std::optional<double> parse_cgroup_v1_cpu_quota(std::string_view quota_us,
                                                std::string_view period_us) {
  const auto q = parse_int(quota_us);
  const auto p = parse_int(period_us);
  if (!q || !p || *q <= 0 || *p <= 0) return std::nullopt;
  return static_cast<double>(*q) / static_cast<double>(*p);
}

int cpu_count_from(int affinity_cpus, std::optional<double> quota_cpus) {
  int n = std::max(affinity_cpus, 1);
  if (quota_cpus && *quota_cpus > 0) {
    // Subtract a hair before ceil so 2.0000000001 from rounding still means 2.
    const double q = std::ceil(*quota_cpus - 1e-9);
    if (q < n) n = static_cast<int>(q);
  }
  return std::max(n, 1);
}

int usable_cpu_count() {
  int affinity = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    affinity = CPU_COUNT(&set);
  } else {
    affinity = static_cast<int>(std::thread::hardware_concurrency());
  }
  return cpu_count_from(affinity, cgroup_quota_cpus());
}

}  // namespace dsinfer
