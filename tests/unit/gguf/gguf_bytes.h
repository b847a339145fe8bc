// Test helper: builds GGUF byte images field by field, so tests can write valid files and every
// kind of corrupt one, and knows the byte offset of each field it wrote.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fixtures.h"

namespace dsinfer::gguf::test {

// A scratch path unique to the running test: TEMP/gguf_<suite>_<test>_<stem>.gguf.
inline std::string temp_gguf_path(const std::string& stem) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string("gguf_") + info->test_suite_name() + "_" + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  return dsinfer::test::temp_dir() + "/" + name + "_" + stem + ".gguf";
}

class GgufBytes {
 public:
  std::vector<uint8_t> bytes;

  size_t size() const { return bytes.size(); }

  template <typename T>
  GgufBytes& pod(T v) {
    const size_t at = bytes.size();
    bytes.resize(at + sizeof(T));
    std::memcpy(bytes.data() + at, &v, sizeof(T));
    return *this;
  }
  GgufBytes& u32(uint32_t v) { return pod(v); }
  GgufBytes& u64(uint64_t v) { return pod(v); }
  GgufBytes& i64(int64_t v) { return pod(v); }
  GgufBytes& str(const std::string& s) {
    u64(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  // "GGUF", version, tensor count, metadata count.
  GgufBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    bytes.insert(bytes.end(), {'G', 'G', 'U', 'F'});
    return u32(version).u64(n_tensors).u64(n_kv);
  }
  GgufBytes& kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }
  GgufBytes& kv_str(const std::string& key, const std::string& v) { return str(key).u32(8).str(v); }
  // Tensor table entry; `dims` in GGUF order.
  GgufBytes& tensor(const std::string& name, const std::vector<int64_t>& dims, uint32_t type,
                    uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(dims.size()));
    for (int64_t d : dims) i64(d);
    return u32(type).u64(offset);
  }
  GgufBytes& pad(size_t alignment = 32) {
    while (bytes.size() % alignment != 0) bytes.push_back(0);
    return *this;
  }
  GgufBytes& zeros(size_t n) {
    bytes.resize(bytes.size() + n, 0);
    return *this;
  }

  void write(const std::string& path) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
};

}  // namespace dsinfer::gguf::test
