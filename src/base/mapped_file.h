// Read-only memory mapping of a whole file (model weights stay mapped, never copied).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dsinfer {

// Owns one read-only mapping. Movable, not copyable. Thread-safe to read from many threads.
class MappedFile {
 public:
  // Maps `path` read-only. Throws Error(kNotFound / kBadFile) naming the path and the reason.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Hint the kernel to read the whole file ahead (start-up pre-loading).
  void advise_willneed() const;

 private:
  void release();

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Drops this process's mapping of the whole pages inside [p, p + n) of a read-only file mapping
// (madvise DONTNEED): resident memory shrinks, and a later read faults the bytes back in from the
// file. For bytes that have been copied elsewhere (repacked weights). No-op for partial pages.
void release_mapped_pages(const void* p, size_t n);

}  // namespace dsinfer
