// Writer -> reader round trips: every metadata value type (arrays, arrays of strings, nested
// arrays), tensor bytes and alignment; metadata getters; writer failure leaves no file.
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
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

bool same_value(const Value& a, const Value& b);

bool same_array(const Array& a, const Array& b) {
  if (a.elem_type != b.elem_type || a.items.size() != b.items.size()) return false;
  for (size_t i = 0; i < a.items.size(); ++i) {
    if (!same_value(a.items[i], b.items[i])) return false;
  }
  return true;
}

bool same_value(const Value& a, const Value& b) {
  if (a.type != b.type || a.data.index() != b.data.index()) return false;
  if (const auto* x = std::get_if<Array>(&a.data)) return same_array(*x, std::get<Array>(b.data));
  if (const auto* x = std::get_if<double>(&a.data)) {
    return std::memcmp(x, &std::get<double>(b.data), sizeof(double)) == 0;
  }
  if (const auto* x = std::get_if<uint64_t>(&a.data)) return *x == std::get<uint64_t>(b.data);
  if (const auto* x = std::get_if<int64_t>(&a.data)) return *x == std::get<int64_t>(b.data);
  if (const auto* x = std::get_if<bool>(&a.data)) return *x == std::get<bool>(b.data);
  return std::get<std::string>(a.data) == std::get<std::string>(b.data);
}

// Metadata with one key of every value type, arrays of each, strings and nested arrays.
void fill_every_type(Metadata& m) {
  m.set("t.u8", {ValueType::kUint8, uint64_t{255}});
  m.set("t.i8", {ValueType::kInt8, int64_t{-128}});
  m.set("t.u16", {ValueType::kUint16, uint64_t{65535}});
  m.set("t.i16", {ValueType::kInt16, int64_t{-32768}});
  m.set("t.u32", Value::from_u32(4000000000u));
  m.set("t.i32", Value::from_i32(-2000000000));
  m.set("t.f32", Value::from_f32(0.1f));
  m.set("t.bool", Value::from_bool(true));
  m.set("t.string", Value::from_string("héllo \n\t wörld"));
  m.set("t.empty_string", Value::from_string(""));
  m.set("t.u64", Value::from_u64(std::numeric_limits<uint64_t>::max()));
  m.set("t.i64", {ValueType::kInt64, std::numeric_limits<int64_t>::min()});
  m.set("t.f64", {ValueType::kFloat64, 1.0 / 3.0});
  m.set("t.strings", Value::from_strings({"a", "", "ĠĠ", std::string(300, 'x')}));
  m.set("t.i32s", Value::from_i32s({1, -2, 3}));
  m.set("t.f32s", Value::from_f32s({0.5f, -1.25f}));
  m.set("t.empty", {ValueType::kArray, Array{ValueType::kUint8, {}}});
  Array bools{ValueType::kBool, {Value::from_bool(false), Value::from_bool(true)}};
  m.set("t.bools", {ValueType::kArray, bools});
  Array u16s{ValueType::kUint16, {{ValueType::kUint16, uint64_t{7}}}};
  m.set("t.u16s", {ValueType::kArray, u16s});
  Array f64s{ValueType::kFloat64, {{ValueType::kFloat64, 2.5}, {ValueType::kFloat64, -0.0}}};
  m.set("t.f64s", {ValueType::kArray, f64s});
  Array nested{ValueType::kArray,
               {Value::from_i32s({1, 2}),
                Value::from_strings({"x", "y"}),
                {ValueType::kArray, Array{ValueType::kArray, {Value::from_f32s({3.0f})}}}}};
  m.set("t.nested", {ValueType::kArray, nested});
}

std::vector<uint8_t> random_bytes(uint64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

void write_with_random_data(const GgufWriter& w, const std::string& path) {
  w.write(path, [](size_t i, const TensorDecl& d, std::vector<uint8_t>& out) {
    out = random_bytes(d.n_bytes(), static_cast<uint32_t>(i));
  });
}

class GgufRoundTrip : public ::testing::TestWithParam<uint32_t> {};

TEST_P(GgufRoundTrip, EveryValueTypeAndTensorBytes) {
  const uint32_t alignment = GetParam();
  GgufWriter w(alignment);
  w.metadata().set("general.architecture", Value::from_string("llama"));
  fill_every_type(w.metadata());
  w.add_tensor({"f32", DType::kF32, {3, 5}});
  w.add_tensor({"f16", DType::kF16, {7}});
  w.add_tensor({"q8", DType::kQ8_0, {64, 3}});
  w.add_tensor({"q4k", DType::kQ4_K, {256, 2, 1, 2}});
  w.add_tensor({"bf16.scalarish", DType::kBF16, {1}});
  w.add_tensor({"iq4", DType::kIQ4_XS, {256}});  // not dequantizable but loadable
  const std::string path = test::temp_gguf_path(fmt::format("a{}", alignment));
  write_with_random_data(w, path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  const auto f = GgufFile::open(path);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), alignment);
  EXPECT_EQ(f->split_count(), 1);
  EXPECT_EQ(f->file_bytes(), std::filesystem::file_size(path));
  // Every written key comes back, in order, with its type and value (plus general.alignment
  // when it is not the default).
  const auto& want = w.metadata().entries();
  const auto& got = f->metadata().entries();
  ASSERT_EQ(got.size(), want.size() + (alignment != 32 ? 1 : 0));
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_TRUE(same_value(got[i].second, want[i].second)) << want[i].first;
  }
  ASSERT_EQ(f->tensors().size(), w.tensors().size());
  for (size_t i = 0; i < w.tensors().size(); ++i) {
    const TensorDecl& d = w.tensors()[i];
    const TensorInfo& t = f->tensor(d.name);
    EXPECT_EQ(t.type, d.type);
    EXPECT_EQ(t.shape, d.shape);
    EXPECT_EQ(t.n_bytes, d.n_bytes());
    EXPECT_EQ(t.offset % alignment, 0u);
    EXPECT_EQ(t.file_offset % alignment, 0u);
    const auto bytes = random_bytes(d.n_bytes(), static_cast<uint32_t>(i));
    EXPECT_EQ(std::memcmp(t.data, bytes.data(), bytes.size()), 0) << d.name;
  }
  EXPECT_EQ(f->tensor("q4k").n_elements, 1024);
  EXPECT_EQ(f->tensor("q4k").rows(), 4);
  EXPECT_EQ(f->tensor("q8").n_bytes, 3u * 2 * 34);

  // The same bytes parse identically from memory.
  std::vector<uint8_t> image(f->file_bytes());
  std::memcpy(image.data(), f->tensors()[0].data - f->tensors()[0].file_offset, image.size());
  const auto g = GgufFile::open_memory("mem.gguf", image.data(), image.size());
  EXPECT_EQ(g->tensors().size(), f->tensors().size());
  EXPECT_EQ(g->metadata().entries().size(), got.size());
}

INSTANTIATE_TEST_SUITE_P(Alignments, GgufRoundTrip, ::testing::Values(32u, 64u, 1u));

TEST(GgufReader, ReadsVersion2) {
  GgufWriter w;
  w.metadata().set("general.architecture", Value::from_string("llama"));
  w.add_tensor({"w", DType::kF32, {4}});
  const std::string path = test::temp_gguf_path("v2");
  write_with_random_data(w, path);
  std::vector<uint8_t> image(std::filesystem::file_size(path));
  {
    const auto f = GgufFile::open(path);
    std::memcpy(image.data(), f->tensors()[0].data - f->tensors()[0].file_offset, image.size());
  }
  image[4] = 2;  // version 2 has the same layout as version 3 (64-bit counts)
  const auto f = GgufFile::open_memory("v2.gguf", image.data(), image.size());
  EXPECT_EQ(f->version(), 2u);
  EXPECT_EQ(f->metadata().get_string("general.architecture"), "llama");
}

TEST(GgufReader, EmptyModelWithoutDataSection) {
  GgufWriter w;
  w.metadata().set("tokenizer.ggml.model", Value::from_string("gpt2"));
  const std::string path = test::temp_gguf_path("vocab");
  write_with_random_data(w, path);
  const auto f = GgufFile::open(path);
  EXPECT_TRUE(f->tensors().empty());
  EXPECT_EQ(f->find_tensor("x"), nullptr);
  try {
    f->tensor("missing.weight");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

TEST(GgufMetadata, TypedGetters) {
  Metadata m("model.gguf");
  fill_every_type(m);
  EXPECT_EQ(m.get_uint("t.u8"), 255u);
  EXPECT_EQ(m.get_uint("t.u32"), 4000000000u);
  EXPECT_EQ(m.get_int("t.i32"), -2000000000);
  EXPECT_EQ(m.get_int("t.u16"), 65535);
  EXPECT_FLOAT_EQ(static_cast<float>(m.get_float("t.f32")), 0.1f);
  EXPECT_DOUBLE_EQ(m.get_float("t.u8"), 255.0);  // integers are accepted as floats
  EXPECT_TRUE(m.get_bool("t.bool"));
  EXPECT_EQ(m.get_string("t.string"), "héllo \n\t wörld");
  EXPECT_EQ(m.get_string_array("t.strings").size(), 4u);
  EXPECT_EQ(m.get_int_array("t.i32s"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(m.get_float_array("t.f32s"), (std::vector<float>{0.5f, -1.25f}));
  EXPECT_FALSE(m.get_uint_opt("absent").has_value());
  EXPECT_FALSE(m.get_string_opt("absent").has_value());

  auto expect_error = [](auto&& fn, const std::string& part) {
    try {
      fn();
      ADD_FAILURE() << "no error, wanted " << part;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadFile);
      EXPECT_NE(std::string(e.what()).find("model.gguf"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error([&] { m.get_uint("t.i8"); }, "'t.i8' is int8, expected a non-negative integer");
  expect_error([&] { m.get_string("t.u32"); }, "'t.u32' is uint32, expected string");
  expect_error([&] { m.get_string("absent"); }, "missing metadata key 'absent'");
  expect_error([&] { m.get_string_array("t.i32s"); }, "array of int32, expected array of string");
  expect_error([&] { m.get_bool("t.string"); }, "expected bool");
  expect_error([&] { m.get_int("t.u64"); }, "expected an integer");

  m.set("t.u8", Value::from_u32(1));  // replaces in place
  EXPECT_EQ(m.entries()[0].first, "t.u8");
  EXPECT_EQ(m.get_uint("t.u8"), 1u);
}

TEST(GgufWriter, FailedWriteLeavesNoFile) {
  GgufWriter w;
  w.add_tensor({"w", DType::kF32, {4}});
  const std::string path = test::temp_gguf_path("fail");
  EXPECT_THROW(
      w.write(path, [](size_t, const TensorDecl&, std::vector<uint8_t>& out) { out.resize(3); }),
      Error);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(GgufWriter, RejectsBadDeclarations) {
  GgufWriter w;
  EXPECT_THROW(w.add_tensor({"q", DType::kQ8_0, {33}}), Error);
  EXPECT_THROW(w.add_tensor({"d", DType::kF32, {1, 1, 1, 1, 1}}), Error);
  EXPECT_THROW(w.add_tensor({"n", DType::kF32, {-1}}), Error);
  w.add_tensor({"a", DType::kF32, {1}});
  w.add_tensor({"a", DType::kF32, {1}});
  EXPECT_THROW(write_with_random_data(w, test::temp_gguf_path("dup")), Error);
}

}  // namespace
}  // namespace dsinfer::gguf
