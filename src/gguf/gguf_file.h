// GGUF v2/v3 reader: header, metadata, tensor table; tensor data stays memory-mapped read-only.
// Split checkpoints (NAME-00001-of-0000N.gguf) open as one file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mapped_file.h"
#include "gguf/gguf_value.h"
#include "tensor/dtype.h"

namespace dsinfer::gguf {

struct TensorInfo {
  std::string name;
  tensor::DType type;
  std::vector<int64_t> shape;  // GGUF order: shape[0] is the innermost (contiguous) dimension
  uint64_t offset = 0;         // within its file's data section
  uint64_t file_offset = 0;    // absolute byte offset of the data in its file
  uint64_t n_bytes = 0;
  int64_t n_elements = 0;
  int file_index = 0;             // which split file holds it
  const uint8_t* data = nullptr;  // into the mapping; valid while the GgufFile lives

  int64_t rows() const;  // product of shape[1..]
};

// An opened model file. Immutable after open; safe to read from many threads.
class GgufFile {
 public:
  // Opens `path` (or all splits when it is NAME-00001-of-N.gguf). Throws Error(kBadFile) whose
  // message names the file, the byte offset and the reason for any malformed content.
  static std::unique_ptr<GgufFile> open(const std::string& path);
  // Parses a whole GGUF image already in memory (no file I/O; fuzzing, tests). `name` is used in
  // error messages. The caller keeps `data` alive and unchanged while the GgufFile lives.
  // Same validation and errors as open(); split files are not followed.
  static std::unique_ptr<GgufFile> open_memory(const std::string& name, const uint8_t* data,
                                               size_t size);

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  int split_count() const { return static_cast<int>(file_sizes_.size()); }
  uint64_t file_bytes() const;  // total of all splits
  const std::vector<std::string>& split_paths() const { return split_paths_; }

  const Metadata& metadata() const { return metadata_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;
  // Throws Error(kBadFile) naming the file and the missing tensor.
  const TensorInfo& tensor(std::string_view name) const;

  // Asks the kernel to read every split ahead (pre-loading into the page cache).
  void advise_willneed() const;
  // True when the tensor bytes live in read-only file mappings (open()), false for open_memory().
  bool is_file_mapped() const { return !files_.empty(); }

 private:
  GgufFile() = default;

  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<MappedFile> files_;     // empty for open_memory()
  std::vector<uint64_t> file_sizes_;  // one per split
  std::vector<std::string> split_paths_;
  Metadata metadata_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> index_;  // name (into tensors_) -> position
};

}  // namespace dsinfer::gguf
