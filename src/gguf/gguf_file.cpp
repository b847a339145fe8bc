// GgufFile: opens one GGUF file or a whole split set (NAME-0000i-of-0000N.gguf), maps the data
// read-only and merges the tensor tables of the splits into one model.
#include "gguf/gguf_file.h"

#include <cctype>
#include <optional>
#include <unordered_map>

#include "base/error.h"
#include "gguf/gguf_parse.h"

namespace dsinfer::gguf {
namespace {

struct SplitName {
  std::string prefix;  // path without "-0000i-of-0000N.gguf"
  int index = 0;       // 1-based, from the name
  int count = 0;
};

// Recognises "PREFIX-%05d-of-%05d.gguf" (the naming of split GGUF checkpoints).
std::optional<SplitName> parse_split_name(const std::string& path) {
  constexpr std::string_view kExample = "-00001-of-00003.gguf";
  if (path.size() <= kExample.size()) return std::nullopt;
  const std::string_view tail = std::string_view(path).substr(path.size() - kExample.size());
  for (size_t i = 0; i < kExample.size(); ++i) {
    const bool digit_expected = std::isdigit(static_cast<unsigned char>(kExample[i])) != 0;
    const bool is_digit = std::isdigit(static_cast<unsigned char>(tail[i])) != 0;
    if (digit_expected != is_digit || (!digit_expected && tail[i] != kExample[i])) {
      return std::nullopt;
    }
  }
  SplitName s;
  s.prefix = path.substr(0, path.size() - kExample.size());
  s.index = std::stoi(std::string(tail.substr(1, 5)));
  s.count = std::stoi(std::string(tail.substr(10, 5)));
  if (s.index < 1 || s.count < 1 || s.index > s.count) return std::nullopt;
  return s;
}

std::string split_path(const SplitName& s, int index) {
  return fmt::format("{}-{:05d}-of-{:05d}.gguf", s.prefix, index, s.count);
}

// Offset of the value of metadata key `key` in the parsed image (0 when absent).
uint64_t value_offset(const ParsedImage& img, std::string_view key) {
  const auto& entries = img.metadata.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first == key) return img.value_offsets[i];
  }
  return 0;
}

// Checks split.count / split.no of split `index` (0-based) of `count` against the file name.
void check_split_keys(const std::string& path, const ParsedImage& img, int index, int count) {
  const Metadata& m = img.metadata;
  const auto* cv = m.find("split.count");
  if (cv != nullptr) {
    const auto n = m.get_uint_opt("split.count");
    if (*n != static_cast<uint64_t>(count)) {
      fail(ErrorKind::kBadFile, "{}: offset {}: split.count is {} but the file name says {} splits",
           path, value_offset(img, "split.count"), *n, count);
    }
  } else if (count > 1) {
    fail(ErrorKind::kBadFile, "{}: offset 24: split {} of {} has no split.count metadata key", path,
         index + 1, count);
  }
  if (m.has("split.no")) {
    const auto no = m.get_uint_opt("split.no");
    if (*no != static_cast<uint64_t>(index)) {
      fail(ErrorKind::kBadFile,
           "{}: offset {}: split.no is {} but the file name makes it split {} (0-based)", path,
           value_offset(img, "split.no"), *no, index);
    }
  }
}

}  // namespace

int64_t TensorInfo::rows() const {
  int64_t r = 1;
  for (size_t i = 1; i < shape.size(); ++i) r *= shape[i];
  return r;
}

std::unique_ptr<GgufFile> GgufFile::open_memory(const std::string& name, const uint8_t* data,
                                                size_t size) {
  ParsedImage img = parse_image(name, data, size, 0);
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = name;
  f->version_ = img.version;
  f->alignment_ = img.alignment;
  f->file_sizes_.push_back(size);
  f->split_paths_.push_back(name);
  f->metadata_ = std::move(img.metadata);
  f->tensors_ = std::move(img.tensors);
  for (size_t i = 0; i < f->tensors_.size(); ++i) f->index_.emplace(f->tensors_[i].name, i);
  return f;
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  const std::optional<SplitName> split = parse_split_name(path);
  const int count = split ? split->count : 1;
  std::unordered_map<std::string, int> owner;  // tensor name -> split index
  for (int i = 0; i < count; ++i) {
    const std::string p = split ? split_path(*split, i + 1) : path;
    std::optional<MappedFile> mapped;
    try {
      mapped.emplace(p);
    } catch (const Error& e) {
      if (split && e.kind() == ErrorKind::kNotFound) {
        fail(ErrorKind::kNotFound, "{}: split {} of {} of {} is missing ({})", p, i + 1, count,
             path, e.what());
      }
      throw;
    }
    ParsedImage img = parse_image(p, mapped->data(), mapped->size(), i);
    if (split) {
      check_split_keys(p, img, i, count);
    } else if (const auto n = img.metadata.get_uint_opt("split.count"); n && *n > 1) {
      fail(ErrorKind::kBadFile,
           "{}: offset {}: split.count is {} but the file name is not of the form "
           "NAME-00001-of-{:05d}.gguf",
           p, value_offset(img, "split.count"), *n, *n);
    }
    for (size_t t = 0; t < img.tensors.size(); ++t) {
      auto& info = img.tensors[t];
      const auto [it, inserted] = owner.emplace(info.name, i);
      if (!inserted) {
        fail(ErrorKind::kBadFile, "{}: offset {}: duplicate tensor name '{}' (also in {})", p,
             img.info_offsets[t], info.name, f->split_paths_[static_cast<size_t>(it->second)]);
      }
      f->tensors_.push_back(std::move(info));
    }
    if (i == 0) {
      f->path_ = p;
      f->version_ = img.version;
      f->alignment_ = img.alignment;
      f->metadata_ = std::move(img.metadata);
    }
    f->split_paths_.push_back(p);
    f->file_sizes_.push_back(mapped->size());
    f->files_.push_back(std::move(*mapped));
  }
  // tensors_ no longer changes: the index may now hold views of its names.
  for (size_t t = 0; t < f->tensors_.size(); ++t) f->index_.emplace(f->tensors_[t].name, t);
  return f;
}

uint64_t GgufFile::file_bytes() const {
  uint64_t total = 0;
  for (uint64_t s : file_sizes_) total += s;
  return total;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& GgufFile::tensor(std::string_view name) const {
  const TensorInfo* t = find_tensor(name);
  if (t == nullptr) fail(ErrorKind::kBadFile, "{}: missing tensor '{}'", path_, name);
  return *t;
}

void GgufFile::advise_willneed() const {
  for (const auto& f : files_) f.advise_willneed();
}

}  // namespace dsinfer::gguf
