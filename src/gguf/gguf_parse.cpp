// Bounds-checked parsing of one GGUF image: every read goes through Cursor, which fails with the
// file name and the byte offset; counts are checked against the bytes left before allocating.
#include "gguf/gguf_parse.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <unordered_set>

#include "base/error.h"
#include "tensor/dtype.h"

namespace dsinfer::gguf {
namespace {

// Sequential little-endian reader over [data, data + size).
class Cursor {
 public:
  Cursor(const std::string& name, const uint8_t* data, size_t size)
      : name_(name), data_(data), size_(size) {}

  size_t pos() const { return pos_; }
  size_t left() const { return size_ - pos_; }

  template <typename... Args>
  [[noreturn]] void fail_at(uint64_t offset, fmt::format_string<Args...> format,
                            Args&&... args) const {
    fail(ErrorKind::kBadFile, "{}: offset {}: {}", name_, offset,
         fmt::format(format, std::forward<Args>(args)...));
  }

  void need(size_t n, const char* what) const {
    if (left() < n) {
      fail_at(pos_, "truncated {}: need {} bytes, the file has {} left", what, n, left());
    }
  }

  template <typename T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const char* what) {
    const size_t at = pos_;
    const auto len = read<uint64_t>(what);
    if (len > left()) {
      fail_at(at, "{} length {} runs past the end of the file ({} bytes left)", what, len, left());
    }
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }

 private:
  const std::string& name_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

bool valid_value_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::kFloat64); }

// Fewest bytes one value of type `t` occupies in the file (used to bound array counts).
uint64_t min_value_bytes(ValueType t) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool:
      return 1;
    case ValueType::kUint16:
    case ValueType::kInt16:
      return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32:
      return 4;
    case ValueType::kString:
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64:
      return 8;
    case ValueType::kArray:
      return 12;  // element type + count
  }
  return 1;
}

Value read_value(Cursor& c, ValueType type, int depth);

Array read_array(Cursor& c, int depth) {
  const size_t at = c.pos();
  if (depth >= kMaxArrayNesting) {
    c.fail_at(at, "arrays nested deeper than {} levels", kMaxArrayNesting);
  }
  const auto raw_type = c.read<uint32_t>("array element type");
  if (!valid_value_type(raw_type)) c.fail_at(at, "unknown array element type {}", raw_type);
  const auto elem = static_cast<ValueType>(raw_type);
  const size_t count_at = c.pos();
  const auto count = c.read<uint64_t>("array length");
  if (count > c.left() / min_value_bytes(elem)) {
    c.fail_at(count_at,
              "array length {} of {} runs past the end of the file ({} bytes left, at least {} "
              "bytes per element)",
              count, value_type_name(elem), c.left(), min_value_bytes(elem));
  }
  Array a{elem, {}};
  a.items.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) a.items.push_back(read_value(c, elem, depth + 1));
  return a;
}

Value read_value(Cursor& c, ValueType type, int depth) {
  switch (type) {
    case ValueType::kUint8:
      return {type, uint64_t{c.read<uint8_t>("uint8 value")}};
    case ValueType::kInt8:
      return {type, int64_t{c.read<int8_t>("int8 value")}};
    case ValueType::kUint16:
      return {type, uint64_t{c.read<uint16_t>("uint16 value")}};
    case ValueType::kInt16:
      return {type, int64_t{c.read<int16_t>("int16 value")}};
    case ValueType::kUint32:
      return {type, uint64_t{c.read<uint32_t>("uint32 value")}};
    case ValueType::kInt32:
      return {type, int64_t{c.read<int32_t>("int32 value")}};
    case ValueType::kUint64:
      return {type, c.read<uint64_t>("uint64 value")};
    case ValueType::kInt64:
      return {type, c.read<int64_t>("int64 value")};
    case ValueType::kFloat32:
      return {type, double{c.read<float>("float32 value")}};
    case ValueType::kFloat64:
      return {type, c.read<double>("float64 value")};
    case ValueType::kBool:
      return {type, c.read<uint8_t>("bool value") != 0};
    case ValueType::kString:
      return {type, c.read_string("string")};
    case ValueType::kArray:
      return {type, read_array(c, depth)};
  }
  c.fail_at(c.pos(), "unknown value type {}", static_cast<uint32_t>(type));
}

void read_header(Cursor& c, ParsedImage& out) {
  const auto magic = c.read<uint32_t>("header (magic)");
  if (magic != kGgufMagic) {
    c.fail_at(0, "bad magic 0x{:08x} (not a GGUF file; expected the bytes \"GGUF\")", magic);
  }
  out.version = c.read<uint32_t>("header (version)");
  if (out.version == 1) {
    c.fail_at(4, "unsupported GGUF version 1 (only versions 2 and 3 are supported)");
  }
  if (out.version != 2 && out.version != 3) {
    if ((out.version & 0xffffu) == 0 && out.version != 0) {
      c.fail_at(4,
                "unsupported version 0x{:08x}: a big-endian GGUF file (only little-endian "
                "versions 2 and 3 are supported)",
                out.version);
    }
    c.fail_at(4, "unsupported GGUF version {} (only versions 2 and 3 are supported)", out.version);
  }
}

// Reads the metadata table; returns the alignment it declares.
void read_metadata(Cursor& c, uint64_t n_kv, ParsedImage& out) {
  std::unordered_set<std::string> seen;
  for (uint64_t i = 0; i < n_kv; ++i) {
    const size_t key_at = c.pos();
    std::string key = c.read_string("metadata key");
    if (!seen.insert(key).second) c.fail_at(key_at, "duplicate metadata key '{}'", key);
    const size_t type_at = c.pos();
    const auto raw_type = c.read<uint32_t>("metadata value type");
    if (!valid_value_type(raw_type)) {
      c.fail_at(type_at, "unknown metadata value type {} for key '{}'", raw_type, key);
    }
    const size_t value_at = c.pos();
    Value value = read_value(c, static_cast<ValueType>(raw_type), 0);
    if (key == "general.alignment") {
      const uint64_t* a = std::get_if<uint64_t>(&value.data);
      const int64_t* s = std::get_if<int64_t>(&value.data);
      const uint64_t align = a ? *a : (s && *s > 0 ? static_cast<uint64_t>(*s) : 0);
      if (align == 0 || (align & (align - 1)) != 0 || align > (uint64_t{1} << 30)) {
        c.fail_at(value_at, "general.alignment must be a power of two up to 2^30 (got {})",
                  a ? fmt::format("{}", *a) : (s ? fmt::format("{}", *s) : "a non-integer"));
      }
      out.alignment = align;
    }
    out.metadata.append(std::move(key), std::move(value));
    out.value_offsets.push_back(value_at);
  }
}

void read_tensor_table(Cursor& c, uint64_t n_tensors, int file_index, ParsedImage& out) {
  std::unordered_set<std::string> seen;
  out.tensors.reserve(static_cast<size_t>(n_tensors));
  out.info_offsets.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    const size_t at = c.pos();
    t.name = c.read_string("tensor name");
    if (!seen.insert(t.name).second) c.fail_at(at, "duplicate tensor name '{}'", t.name);
    const size_t dims_at = c.pos();
    const auto n_dims = c.read<uint32_t>("tensor dimension count");
    if (n_dims > kMaxDims) {
      c.fail_at(dims_at, "tensor '{}' has {} dimensions (at most {})", t.name, n_dims, kMaxDims);
    }
    // The product of the non-zero dimensions must fit in int64 even when another dimension is
    // 0, so that any sub-product (rows(), strides) computed later cannot overflow either.
    int64_t magnitude = 1;
    bool has_zero = false;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const size_t dim_at = c.pos();
      const auto dim = c.read<int64_t>("tensor dimension");
      if (dim < 0) c.fail_at(dim_at, "tensor '{}' has a negative dimension {}", t.name, dim);
      if (dim == 0) {
        has_zero = true;
      } else if (magnitude > std::numeric_limits<int64_t>::max() / dim) {
        c.fail_at(dim_at, "tensor '{}': dimension product overflow (int64)", t.name);
      } else {
        magnitude *= dim;
      }
      t.shape.push_back(dim);
    }
    const int64_t n_elements = has_zero ? 0 : magnitude;
    const size_t type_at = c.pos();
    const auto type_id = c.read<uint32_t>("tensor type");
    const tensor::DTypeInfo* info = tensor::dtype_info(type_id);
    if (info == nullptr) c.fail_at(type_at, "tensor '{}' has unknown type id {}", t.name, type_id);
    t.type = info->type;
    const int64_t row = t.shape.empty() ? 1 : t.shape[0];
    if (row % info->block_size != 0) {
      c.fail_at(dims_at,
                "tensor '{}' of type {}: row of {} elements is not a multiple of the block size "
                "{}",
                t.name, info->name, row, info->block_size);
    }
    uint64_t n_bytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(n_elements / info->block_size),
                               static_cast<uint64_t>(info->block_bytes), &n_bytes)) {
      c.fail_at(dims_at, "tensor '{}': byte size overflow", t.name);
    }
    t.n_elements = n_elements;
    t.n_bytes = n_bytes;
    t.offset = c.read<uint64_t>("tensor data offset");
    t.file_index = file_index;
    out.tensors.push_back(std::move(t));
    out.info_offsets.push_back(at);
  }
}

// Checks alignment, bounds and overlap of the tensors' data, then points them into the image.
void place_tensors(Cursor& c, const uint8_t* data, size_t size, ParsedImage& out) {
  const uint64_t table_end = c.pos();
  const uint64_t a = out.alignment;
  out.data_start = (table_end + a - 1) / a * a;  // table_end < 2^63 and a <= 2^30: no overflow
  const bool has_data = std::any_of(out.tensors.begin(), out.tensors.end(),
                                    [](const TensorInfo& t) { return t.n_bytes > 0; });
  if (has_data && out.data_start > size) {
    c.fail_at(out.data_start,
              "truncated data: the data section starts at offset {} but the file has only {} "
              "bytes",
              out.data_start, size);
  }
  const uint64_t section = size >= out.data_start ? size - out.data_start : 0;
  for (auto& t : out.tensors) {
    uint64_t abs = 0;
    if (__builtin_add_overflow(out.data_start, t.offset, &abs)) {
      abs = std::numeric_limits<uint64_t>::max();
    }
    if (t.offset % a != 0) {
      c.fail_at(abs, "tensor '{}': data offset {} is misaligned (not a multiple of {})", t.name,
                t.offset, a);
    }
    if (t.offset > section || t.n_bytes > section - t.offset) {
      c.fail_at(abs,
                "tensor '{}': data of {} bytes at data-section offset {} is out of bounds "
                "(truncated data: runs past the end of the file, {} bytes)",
                t.name, t.n_bytes, t.offset, size);
    }
    t.file_offset = abs;
    t.data = data + abs;
  }
  // NOTE: overlap check: sort by offset, then each tensor must end before the next begins.
  std::vector<size_t> order(out.tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return out.tensors[x].offset < out.tensors[y].offset; });
  const TensorInfo* prev = nullptr;
  for (size_t idx : order) {
    const TensorInfo& t = out.tensors[idx];
    if (t.n_bytes == 0) continue;
    if (prev != nullptr && prev->offset + prev->n_bytes > t.offset) {
      c.fail_at(t.file_offset, "tensor '{}': data overlaps tensor '{}' (which spans [{}, {}))",
                t.name, prev->name, prev->file_offset, prev->file_offset + prev->n_bytes);
    }
    prev = &t;
  }
}

}  // namespace

ParsedImage parse_image(const std::string& name, const uint8_t* data, size_t size, int file_index) {
  Cursor c(name, data, size);
  ParsedImage out;
  out.metadata = Metadata(name);
  read_header(c, out);
  const auto n_tensors = c.read<uint64_t>("header (tensor count)");
  const auto n_kv = c.read<uint64_t>("header (metadata count)");
  constexpr uint64_t kMinTensorInfo = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset
  constexpr uint64_t kMinKv = 8 + 4 + 1;              // key length, type, smallest value
  if (n_tensors > c.left() / kMinTensorInfo) {
    c.fail_at(8, "tensor count {} runs past the end of the file ({} bytes left)", n_tensors,
              c.left());
  }
  if (n_kv > c.left() / kMinKv) {
    c.fail_at(16, "metadata count {} runs past the end of the file ({} bytes left)", n_kv,
              c.left());
  }
  read_metadata(c, n_kv, out);
  read_tensor_table(c, n_tensors, file_index, out);
  place_tensors(c, data, size, out);
  return out;
}

}  // namespace dsinfer::gguf
