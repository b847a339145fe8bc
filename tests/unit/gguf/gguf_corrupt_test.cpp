// Every class of malformed GGUF file gives Error(kBadFile) naming the file, the byte offset and
// the reason (built byte by byte here; the committed corpus is checked at the end).
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "gguf/gguf_file.h"
#include "gguf_bytes.h"
#include "support/fixtures.h"

namespace dsinfer::gguf {
namespace {

using test::GgufBytes;

constexpr uint32_t kF32 = 0;
constexpr uint32_t kQ8_0 = 8;

// Opens `b` from a file and from memory; both must fail with kBadFile naming the file, the
// offset and the reason.
void expect_bad(const GgufBytes& b, uint64_t offset, const std::string& reason) {
  const std::string path = test::temp_gguf_path("bad");
  b.write(path);
  const std::string want_offset = fmt::format("offset {}:", offset);
  for (int mode = 0; mode < 2; ++mode) {
    SCOPED_TRACE(mode == 0 ? "open" : "open_memory");
    try {
      if (mode == 0) {
        GgufFile::open(path);
      } else {
        GgufFile::open_memory(path, b.bytes.data(), b.bytes.size());
      }
      ADD_FAILURE() << "no error for a file that should fail with: " << reason;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.kind(), ErrorKind::kBadFile) << msg;
      EXPECT_NE(msg.find(path), std::string::npos) << "file name missing: " << msg;
      EXPECT_NE(msg.find(want_offset), std::string::npos)
          << "want '" << want_offset << "': " << msg;
      EXPECT_NE(msg.find(reason), std::string::npos) << "want '" << reason << "': " << msg;
    }
  }
}

// A valid file with one F32 tensor of `n` elements (for mutating into corrupt ones).
GgufBytes one_tensor(int64_t n, uint64_t offset = 0) {
  GgufBytes b;
  b.header(1, 1).kv_str("general.architecture", "llama");
  b.tensor("w", {n}, kF32, offset).pad();
  return b;
}

TEST(GgufCorrupt, ValidBaselineOpens) {
  GgufBytes b = one_tensor(8);
  b.zeros(32);
  const std::string path = test::temp_gguf_path("ok");
  b.write(path);
  const auto f = GgufFile::open(path);
  ASSERT_EQ(f->tensors().size(), 1u);
  EXPECT_EQ(f->tensors()[0].n_bytes, 32u);
}

TEST(GgufCorrupt, BadMagic) {
  GgufBytes b;
  b.bytes = {'G', 'G', 'M', 'L'};
  b.u32(3).u64(0).u64(0);
  expect_bad(b, 0, "bad magic");
}

TEST(GgufCorrupt, EmptyFileIsTruncatedHeader) { expect_bad(GgufBytes{}, 0, "truncated header"); }

TEST(GgufCorrupt, VersionOneRefused) {
  GgufBytes b;
  b.header(0, 0, 1);
  expect_bad(b, 4, "unsupported GGUF version 1");
}

TEST(GgufCorrupt, UnknownVersion) {
  GgufBytes b;
  b.header(0, 0, 7);
  expect_bad(b, 4, "unsupported GGUF version 7");
}

TEST(GgufCorrupt, BigEndianRefused) {
  GgufBytes b;
  b.header(0, 0, 0x03000000);
  expect_bad(b, 4, "big-endian");
}

TEST(GgufCorrupt, TruncatedHeader) {
  GgufBytes b;
  b.header(0, 0);
  b.bytes.resize(10);
  expect_bad(b, 8, "truncated header");
}

TEST(GgufCorrupt, HugeTensorCountRejectedBeforeAllocating) {
  GgufBytes b;
  b.header(uint64_t{1} << 60, 0);
  expect_bad(b, 8, "tensor count 1152921504606846976 runs past the end");
}

TEST(GgufCorrupt, HugeMetadataCountRejectedBeforeAllocating) {
  GgufBytes b;
  b.header(0, uint64_t{1} << 62);
  expect_bad(b, 16, "metadata count");
}

TEST(GgufCorrupt, StringLengthPastEnd) {
  GgufBytes b;
  b.header(0, 1).u64(1000).zeros(20);  // key of 1000 bytes, 20 present
  expect_bad(b, 24, "metadata key length 1000 runs past the end");
}

TEST(GgufCorrupt, StringValueLengthPastEnd) {
  GgufBytes b;
  b.header(0, 1).str("general.name").u32(8);
  const size_t at = b.size();
  b.u64(uint64_t{1} << 40);
  expect_bad(b, at, "string length 1099511627776 runs past the end");
}

TEST(GgufCorrupt, ArrayLengthPastEnd) {
  GgufBytes b;
  b.header(0, 1).str("tokenizer.ggml.tokens").u32(9).u32(8);
  const size_t at = b.size();
  b.u64(1'000'000'000).zeros(64);
  expect_bad(b, at, "array length 1000000000 of string runs past the end");
}

TEST(GgufCorrupt, TruncatedArrayElements) {
  GgufBytes b;
  b.header(0, 1).str("scores").u32(9).u32(6);
  const size_t at = b.size();
  b.u64(4).u32(0).u32(0).u32(0);  // 3 of 4 floats
  b.bytes.resize(b.size() - 2);
  expect_bad(b, at, "array length 4 of float32 runs past the end");
}

TEST(GgufCorrupt, TruncatedValue) {
  GgufBytes b;
  b.header(0, 1).str("general.alignment").u32(4);
  const size_t at = b.size();
  b.bytes.push_back(0);  // 1 of 4 bytes
  expect_bad(b, at, "truncated uint32 value");
}

TEST(GgufCorrupt, UnknownMetadataValueType) {
  GgufBytes b;
  b.header(0, 1).str("k");
  const size_t at = b.size();
  b.u32(13).u32(0);
  expect_bad(b, at, "unknown metadata value type 13");
}

TEST(GgufCorrupt, ArraysNestedTooDeep) {
  GgufBytes b;
  b.header(0, 1).str("k").u32(9);
  for (int i = 0; i < 40; ++i) b.u32(9).u64(1);
  b.u32(0).u64(0);
  expect_bad(b, 24 + 8 + 1 + 4 + 16 * 12, "nested deeper than 16");
}

TEST(GgufCorrupt, DuplicateKey) {
  GgufBytes b;
  b.header(0, 2).kv_u32("general.alignment", 32);
  const size_t at = b.size();
  b.kv_u32("general.alignment", 32);
  expect_bad(b, at, "duplicate metadata key 'general.alignment'");
}

TEST(GgufCorrupt, AlignmentNotPowerOfTwo) {
  GgufBytes b;
  b.header(0, 1).str("general.alignment").u32(4);
  const size_t at = b.size();
  b.u32(48);
  expect_bad(b, at, "general.alignment must be a power of two");
}

TEST(GgufCorrupt, TooManyDims) {
  GgufBytes b;
  b.header(1, 0).str("w");
  const size_t at = b.size();
  b.u32(5);
  for (int i = 0; i < 5; ++i) b.i64(1);
  b.u32(kF32).u64(0).pad().zeros(32);
  expect_bad(b, at, "tensor 'w' has 5 dimensions (at most 4)");
}

TEST(GgufCorrupt, NegativeDimension) {
  GgufBytes b;
  b.header(1, 0).str("w").u32(2).i64(4);
  const size_t at = b.size();
  b.i64(-4).u32(kF32).u64(0).pad().zeros(32);
  expect_bad(b, at, "negative dimension -4");
}

TEST(GgufCorrupt, DimensionProductOverflow) {
  GgufBytes b;
  b.header(1, 0).str("w").u32(3).i64(int64_t{1} << 32).i64(int64_t{1} << 30);
  const size_t at = b.size();
  b.i64(int64_t{1} << 2).u32(kF32).u64(0).pad().zeros(32);
  expect_bad(b, at, "dimension product overflow");
}

TEST(GgufCorrupt, DimensionProductOverflowBesideAZeroDimension) {
  GgufBytes b;
  b.header(1, 0).str("w").u32(3).i64(0).i64(int64_t{1} << 40);
  const size_t at = b.size();
  b.i64(int64_t{1} << 40).u32(kF32).u64(0).pad();
  expect_bad(b, at, "dimension product overflow");
}

TEST(GgufCorrupt, ByteSizeOverflow) {
  GgufBytes b;
  b.header(1, 0).str("w");
  const size_t at = b.size();
  b.u32(1).i64(int64_t{1} << 62).u32(kF32).u64(0).pad().zeros(32);
  expect_bad(b, at, "byte size overflow");
}

TEST(GgufCorrupt, UnknownTypeId) {
  GgufBytes b;
  b.header(1, 0).str("w").u32(1).i64(8);
  const size_t at = b.size();
  b.u32(4).u64(0).pad().zeros(32);  // id 4 was retired (Q4_2)
  expect_bad(b, at, "tensor 'w' has unknown type id 4");
}

TEST(GgufCorrupt, RowNotMultipleOfBlockSize) {
  GgufBytes b;
  b.header(1, 0).str("w");
  const size_t at = b.size();
  b.u32(2).i64(33).i64(2).u32(kQ8_0).u64(0).pad().zeros(128);
  expect_bad(b, at, "row of 33 elements is not a multiple of the block size 32");
}

TEST(GgufCorrupt, DuplicateTensorName) {
  GgufBytes b;
  b.header(2, 0).tensor("w", {8}, kF32, 0);
  const size_t at = b.size();
  b.tensor("w", {8}, kF32, 32).pad().zeros(64);
  expect_bad(b, at, "duplicate tensor name 'w'");
}

TEST(GgufCorrupt, TensorDataOutOfBounds) {
  GgufBytes b = one_tensor(64);  // 256 bytes of data wanted
  const size_t data_start = b.size();
  b.zeros(100);
  expect_bad(b, data_start, "out of bounds");
}

TEST(GgufCorrupt, TensorOffsetFarOutOfBounds) {
  GgufBytes b = one_tensor(8, uint64_t{1} << 40);
  const size_t data_start = b.size();
  b.zeros(32);
  expect_bad(b, data_start + (uint64_t{1} << 40), "out of bounds");
}

TEST(GgufCorrupt, TruncatedDataSection) {
  GgufBytes b = one_tensor(8);
  const size_t data_start = b.size();
  b.bytes.resize(data_start - 5);  // file ends inside the padding before the data
  expect_bad(b, data_start, "truncated data");
}

TEST(GgufCorrupt, MisalignedOffset) {
  GgufBytes b = one_tensor(8, 4);
  const size_t data_start = b.size();
  b.zeros(64);
  expect_bad(b, data_start + 4, "misaligned");
}

TEST(GgufCorrupt, OverlappingTensors) {
  GgufBytes b;
  b.header(2, 0).tensor("a", {16}, kF32, 0).tensor("b", {16}, kF32, 32).pad();
  const size_t data_start = b.size();
  b.zeros(128);
  expect_bad(b, data_start + 32, "tensor 'b': data overlaps tensor 'a'");
}

// The committed corpus: bad_*.gguf files fail cleanly, ok_*.gguf files open.
TEST(GgufCorrupt, CommittedCorpus) {
  const std::filesystem::path dir =
      std::filesystem::path(dsinfer::test::source_dir()) / "tests/fuzz/corpus/gguf";
  int bad = 0;
  int ok = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const std::string path = entry.path().string();
    if (name.rfind("bad_", 0) == 0) {
      ++bad;
      try {
        GgufFile::open(path);
        ADD_FAILURE() << path << " opened but should not";
      } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_EQ(e.kind(), ErrorKind::kBadFile) << msg;
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find("offset "), std::string::npos) << msg;
      }
    } else if (name.rfind("ok_", 0) == 0) {
      ++ok;
      EXPECT_NO_THROW(GgufFile::open(path)) << path;
    }
  }
  EXPECT_GE(bad, 20);
  EXPECT_GE(ok, 2);
}

}  // namespace
}  // namespace dsinfer::gguf
