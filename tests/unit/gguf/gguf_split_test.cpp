// Split checkpoints (NAME-0000i-of-0000N.gguf) open as one model: tensors spread over the
// splits, each with its own data section; inconsistent or missing splits are clear errors.
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf_bytes.h"
#include "support/fixtures.h"

namespace dsinfer::gguf {
namespace {

using tensor::DType;

std::string split_prefix() {
  const std::string dir = test::temp_gguf_path("dir");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir + "/model";
}

std::string split_name(const std::string& prefix, int i, int n) {
  return fmt::format("{}-{:05d}-of-{:05d}.gguf", prefix, i, n);
}

// Writes `n` splits; split i holds tensors "t{i}.a" and "t{i}.b" whose bytes are all (i*16+j).
// `split_no(i)` is the split.no written into split i (0-based normally).
void write_splits(const std::string& prefix, int n, int (*split_no)(int) = nullptr,
                  const std::string& extra_tensor_in_last = "") {
  for (int i = 0; i < n; ++i) {
    GgufWriter w;
    if (i == 0) {
      w.metadata().set("general.architecture", Value::from_string("llama"));
      w.metadata().set("llama.block_count", Value::from_u32(2));
    }
    w.metadata().set("split.no", {ValueType::kUint16, uint64_t(split_no ? split_no(i) : i)});
    w.metadata().set("split.count", {ValueType::kUint16, uint64_t(n)});
    w.metadata().set("split.tensors.count", Value::from_i32(2 * n));
    w.add_tensor({fmt::format("t{}.a", i), DType::kF32, {8, 2}});
    w.add_tensor({fmt::format("t{}.b", i), DType::kQ8_0, {32}});
    if (i == n - 1 && !extra_tensor_in_last.empty()) {
      w.add_tensor({extra_tensor_in_last, DType::kF32, {4}});
    }
    w.write(split_name(prefix, i + 1, n),
            [i](size_t j, const TensorDecl& d, std::vector<uint8_t>& out) {
              out.assign(d.n_bytes(), static_cast<uint8_t>(i * 16 + static_cast<int>(j)));
            });
  }
}

std::string error_of(const std::string& path) {
  try {
    GgufFile::open(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(GgufSplit, OpensAllSplitsAsOneModel) {
  const std::string prefix = split_prefix();
  write_splits(prefix, 3);
  for (int first = 1; first <= 3; ++first) {  // any split's name opens the whole set
    const auto f = GgufFile::open(split_name(prefix, first, 3));
    EXPECT_EQ(f->split_count(), 3);
    EXPECT_EQ(f->path(), split_name(prefix, 1, 3));
    ASSERT_EQ(f->split_paths().size(), 3u);
    EXPECT_EQ(f->metadata().get_string("general.architecture"), "llama");
    ASSERT_EQ(f->tensors().size(), 6u);
    uint64_t total = 0;
    for (int i = 0; i < 3; ++i) {
      total += std::filesystem::file_size(split_name(prefix, i + 1, 3));
      for (int j = 0; j < 2; ++j) {
        const TensorInfo& t = f->tensor(fmt::format("t{}.{}", i, j == 0 ? "a" : "b"));
        EXPECT_EQ(t.file_index, i);
        std::vector<uint8_t> want(t.n_bytes, static_cast<uint8_t>(i * 16 + j));
        EXPECT_EQ(std::memcmp(t.data, want.data(), want.size()), 0) << t.name;
      }
    }
    EXPECT_EQ(f->file_bytes(), total);
  }
}

TEST(GgufSplit, MissingSplitIsNotFound) {
  const std::string prefix = split_prefix();
  write_splits(prefix, 3);
  std::filesystem::remove(split_name(prefix, 2, 3));
  try {
    GgufFile::open(split_name(prefix, 1, 3));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find(split_name(prefix, 2, 3)), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("split 2 of 3"), std::string::npos) << e.what();
  }
}

TEST(GgufSplit, WrongSplitNumber) {
  const std::string prefix = split_prefix();
  write_splits(prefix, 2, [](int i) { return i == 1 ? 5 : i; });
  const std::string msg = error_of(split_name(prefix, 1, 2));
  EXPECT_NE(msg.find(split_name(prefix, 2, 2)), std::string::npos) << msg;
  EXPECT_NE(msg.find("offset "), std::string::npos) << msg;
  EXPECT_NE(msg.find("split.no is 5"), std::string::npos) << msg;
}

TEST(GgufSplit, SplitCountDisagreesWithName) {
  const std::string prefix = split_prefix();
  write_splits(prefix, 2);
  std::filesystem::rename(split_name(prefix, 1, 2), split_name(prefix, 1, 1));
  const std::string msg = error_of(split_name(prefix, 1, 1));
  EXPECT_NE(msg.find("split.count is 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("offset "), std::string::npos) << msg;
}

TEST(GgufSplit, DuplicateTensorAcrossSplits) {
  const std::string prefix = split_prefix();
  write_splits(prefix, 2, nullptr, "t0.a");
  const std::string msg = error_of(split_name(prefix, 1, 2));
  EXPECT_NE(msg.find(split_name(prefix, 2, 2)), std::string::npos) << msg;
  EXPECT_NE(msg.find("duplicate tensor name 't0.a'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("offset "), std::string::npos) << msg;
}

TEST(GgufSplit, SplitSetFromNonSplitName) {
  const std::string prefix = split_prefix();
  write_splits(prefix, 2);
  const std::string plain = prefix + ".gguf";
  std::filesystem::copy_file(split_name(prefix, 1, 2), plain);
  const std::string msg = error_of(plain);
  EXPECT_NE(msg.find("not of the form NAME-00001-of-00002.gguf"), std::string::npos) << msg;
}

}  // namespace
}  // namespace dsinfer::gguf
