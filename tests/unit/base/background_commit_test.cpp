// BackgroundCommit: the range becomes resident without a user-space write; destruction stops it.
#include "base/background_commit.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

namespace dsinfer {
namespace {

// Resident pages of [p, p + bytes) (mincore).
size_t resident_pages(void* p, size_t bytes) {
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec((bytes + page - 1) / page);
  EXPECT_EQ(::mincore(p, bytes, vec.data()), 0);
  size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

TEST(BackgroundCommit, MakesTheRangeResident) {
  constexpr size_t kBytes = size_t{16} << 20;
  void* p = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(resident_pages(p, kBytes), 0u);
  {
    BackgroundCommit commit(p, kBytes);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!commit.done() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(commit.done()) << "MADV_POPULATE_WRITE needs Linux >= 5.14";
  }
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  EXPECT_EQ(resident_pages(p, kBytes), kBytes / page);
  EXPECT_EQ(static_cast<unsigned char*>(p)[kBytes - 1], 0) << "contents untouched (zero pages)";
  ::munmap(p, kBytes);
}

TEST(BackgroundCommit, DestructionStopsItAndTinyRangesAreDone) {
  constexpr size_t kBytes = size_t{256} << 20;
  void* p = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  { BackgroundCommit commit(p, kBytes); }  // returns at once; the thread stops at its next chunk
  ::munmap(p, kBytes);                     // a madvise in flight on it fails harmlessly
  char small[16];
  EXPECT_TRUE(BackgroundCommit(small, sizeof small).done()) << "no whole page: nothing to do";
}

}  // namespace
}  // namespace dsinfer
