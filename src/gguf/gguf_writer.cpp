// GGUF v3 writer: header, metadata, tensor table, aligned data; streams one tensor at a time to
// PATH.tmp and renames it into place when everything is written.
#include "gguf/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <unordered_set>

#include "base/error.h"
#include "gguf/gguf_parse.h"

namespace dsinfer::gguf {
namespace {

// Buffered output to a FILE*, failing with the path on any write error.
class Out {
 public:
  explicit Out(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (f_ == nullptr) {
      fail(ErrorKind::kInvalidInput, "{}: cannot create: {}", path, std::strerror(errno));
    }
    std::setvbuf(f_, nullptr, _IOFBF, size_t{1} << 20);  // metadata is many small writes
  }
  ~Out() {
    if (f_ != nullptr) std::fclose(f_);
  }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;

  void bytes(const void* p, size_t n) {
    if (n > 0 && std::fwrite(p, 1, n, f_) != n) {
      fail(ErrorKind::kInternal, "{}: write failed: {}", path_, std::strerror(errno));
    }
    pos_ += n;
  }
  template <typename T>
  void pod(T v) {
    bytes(&v, sizeof(T));
  }
  void string(const std::string& s) {
    pod<uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
  void pad_to(uint64_t alignment) {
    static constexpr uint8_t kZeros[64] = {};
    while (pos_ % alignment != 0) {
      const uint64_t n = std::min<uint64_t>(alignment - pos_ % alignment, sizeof(kZeros));
      bytes(kZeros, static_cast<size_t>(n));
    }
  }
  void close() {
    FILE* f = f_;
    f_ = nullptr;
    if (std::fflush(f) != 0 || std::fclose(f) != 0) {
      fail(ErrorKind::kInternal, "{}: write failed: {}", path_, std::strerror(errno));
    }
  }
  uint64_t pos() const { return pos_; }

 private:
  std::string path_;
  FILE* f_;
  uint64_t pos_ = 0;
};

[[noreturn]] void bad_value(std::string_view key, ValueType type) {
  fail(ErrorKind::kInvalidInput, "metadata key '{}': value does not match its type {}", key,
       value_type_name(type));
}

uint64_t uint_of(std::string_view key, const Value& v, uint64_t max) {
  uint64_t x = 0;
  if (const auto* u = std::get_if<uint64_t>(&v.data)) {
    x = *u;
  } else if (const auto* i = std::get_if<int64_t>(&v.data); i != nullptr && *i >= 0) {
    x = static_cast<uint64_t>(*i);
  } else {
    bad_value(key, v.type);
  }
  if (x > max) bad_value(key, v.type);
  return x;
}

int64_t int_of(std::string_view key, const Value& v, int64_t min, int64_t max) {
  int64_t x = 0;
  if (const auto* i = std::get_if<int64_t>(&v.data)) {
    x = *i;
  } else if (const auto* u = std::get_if<uint64_t>(&v.data);
             u != nullptr && *u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    x = static_cast<int64_t>(*u);
  } else {
    bad_value(key, v.type);
  }
  if (x < min || x > max) bad_value(key, v.type);
  return x;
}

double float_of(std::string_view key, const Value& v) {
  if (const auto* d = std::get_if<double>(&v.data)) return *d;
  bad_value(key, v.type);
}

// Writes the payload of `v` (without its type id) as type `type`.
void write_value(Out& out, std::string_view key, ValueType type, const Value& v) {
  if (v.type != type) bad_value(key, type);
  switch (type) {
    case ValueType::kUint8:
      return out.pod(static_cast<uint8_t>(uint_of(key, v, 0xff)));
    case ValueType::kInt8:
      return out.pod(static_cast<int8_t>(int_of(key, v, -128, 127)));
    case ValueType::kUint16:
      return out.pod(static_cast<uint16_t>(uint_of(key, v, 0xffff)));
    case ValueType::kInt16:
      return out.pod(static_cast<int16_t>(int_of(key, v, -32768, 32767)));
    case ValueType::kUint32:
      return out.pod(static_cast<uint32_t>(uint_of(key, v, 0xffffffffu)));
    case ValueType::kInt32:
      return out.pod(static_cast<int32_t>(int_of(key, v, std::numeric_limits<int32_t>::min(),
                                                 std::numeric_limits<int32_t>::max())));
    case ValueType::kUint64:
      return out.pod(uint_of(key, v, std::numeric_limits<uint64_t>::max()));
    case ValueType::kInt64:
      return out.pod(
          int_of(key, v, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
    case ValueType::kFloat32:
      return out.pod(static_cast<float>(float_of(key, v)));
    case ValueType::kFloat64:
      return out.pod(float_of(key, v));
    case ValueType::kBool: {
      const auto* b = std::get_if<bool>(&v.data);
      if (b == nullptr) bad_value(key, type);
      return out.pod(static_cast<uint8_t>(*b ? 1 : 0));
    }
    case ValueType::kString: {
      const auto* s = std::get_if<std::string>(&v.data);
      if (s == nullptr) bad_value(key, type);
      return out.string(*s);
    }
    case ValueType::kArray: {
      const auto* a = std::get_if<Array>(&v.data);
      if (a == nullptr) bad_value(key, type);
      out.pod(static_cast<uint32_t>(a->elem_type));
      out.pod(static_cast<uint64_t>(a->items.size()));
      for (const auto& item : a->items) write_value(out, key, a->elem_type, item);
      return;
    }
  }
  bad_value(key, type);
}

void check_decl(const TensorDecl& d) {
  const tensor::DTypeInfo* info = tensor::dtype_info(static_cast<uint32_t>(d.type));
  if (info == nullptr) fail(ErrorKind::kInvalidInput, "tensor '{}': unknown type", d.name);
  if (d.shape.size() > kMaxDims) {
    fail(ErrorKind::kInvalidInput, "tensor '{}': {} dimensions (at most {})", d.name,
         d.shape.size(), kMaxDims);
  }
  int64_t n = 1;
  for (int64_t dim : d.shape) {
    if (dim < 0 || (dim != 0 && n > std::numeric_limits<int64_t>::max() / dim)) {
      fail(ErrorKind::kInvalidInput, "tensor '{}': bad shape", d.name);
    }
    n *= dim;
  }
  const int64_t row = d.shape.empty() ? 1 : d.shape[0];
  if (row % info->block_size != 0) {
    fail(ErrorKind::kInvalidInput,
         "tensor '{}': row of {} elements is not a multiple of the block size {} of {}", d.name,
         row, info->block_size, info->name);
  }
}

}  // namespace

uint64_t TensorDecl::n_bytes() const {
  const tensor::DTypeInfo& info = tensor::dtype_info(type);
  int64_t n = 1;
  for (int64_t dim : shape) n *= dim;
  return static_cast<uint64_t>(n / info.block_size) * info.block_bytes;
}

void GgufWriter::add_tensor(TensorDecl decl) {
  check_decl(decl);
  tensors_.push_back(std::move(decl));
}

void GgufWriter::write(const std::string& path, const Producer& produce) const {
  if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0) {
    fail(ErrorKind::kInvalidInput, "GGUF alignment {} is not a power of two", alignment_);
  }
  if (const Value* a = metadata_.find("general.alignment"); a != nullptr) {
    const auto* u = std::get_if<uint64_t>(&a->data);
    if (u == nullptr || *u != alignment_) {
      fail(ErrorKind::kInvalidInput, "general.alignment in the metadata differs from {}",
           alignment_);
    }
  }
  std::unordered_set<std::string_view> names;
  for (const auto& t : tensors_) {
    if (!names.insert(t.name).second) {
      fail(ErrorKind::kInvalidInput, "{}: duplicate tensor name '{}'", path, t.name);
    }
  }
  const bool add_alignment = alignment_ != kDefaultAlignment && !metadata_.has("general.alignment");

  const std::string tmp = path + ".tmp";
  try {
    Out out(tmp);
    out.pod(kGgufMagic);
    out.pod(uint32_t{3});
    out.pod(static_cast<uint64_t>(tensors_.size()));
    out.pod(static_cast<uint64_t>(metadata_.entries().size() + (add_alignment ? 1 : 0)));
    for (const auto& [key, value] : metadata_.entries()) {
      out.string(key);
      out.pod(static_cast<uint32_t>(value.type));
      write_value(out, key, value.type, value);
    }
    if (add_alignment) {
      out.string("general.alignment");
      out.pod(static_cast<uint32_t>(ValueType::kUint32));
      out.pod(alignment_);
    }
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
      out.string(t.name);
      out.pod(static_cast<uint32_t>(t.shape.size()));
      for (int64_t dim : t.shape) out.pod(dim);
      out.pod(static_cast<uint32_t>(t.type));
      out.pod(offset);
      offset += (t.n_bytes() + alignment_ - 1) / alignment_ * alignment_;
    }
    out.pad_to(alignment_);
    std::vector<uint8_t> buf;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const TensorDecl& t = tensors_[i];
      buf.clear();
      produce(i, t, buf);
      if (buf.size() != t.n_bytes()) {
        fail(ErrorKind::kInternal, "{}: producer gave {} bytes for tensor '{}' (expected {})", path,
             buf.size(), t.name, t.n_bytes());
      }
      out.bytes(buf.data(), buf.size());
      out.pad_to(alignment_);
    }
    out.close();
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) fail(ErrorKind::kInternal, "{}: rename from {} failed: {}", path, tmp, ec.message());
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

}  // namespace dsinfer::gguf
