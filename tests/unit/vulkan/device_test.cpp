// Device, buffers, staging and error paths of the Vulkan backend core.
#include <cstring>
#include <numeric>

#include <gmock/gmock.h>

#include "base/error.h"
#include "unit/vulkan/vulkan_fixture.h"
#include "vulkan/device_list.h"
#include "vulkan/device_weight.h"
#include "vulkan/ops_layer.h"
#include "vulkan/shader_library.h"

namespace dsinfer::vulkan::test {
namespace {

using ::testing::HasSubstr;

TEST_F(VulkanTest, ListsTheDeviceInUse) {
  const VulkanDeviceList list = list_vulkan_devices();
  ASSERT_FALSE(list.devices.empty()) << list.note;
  EXPECT_EQ(list.devices[0].name, list_vulkan_devices().devices[0].name);
  EXPECT_FALSE(device().info().name.empty());
  EXPECT_FALSE(device().info().driver.empty());
  EXPECT_GT(device().memory_total_bytes(), 0u);
  EXPECT_THAT(vulkan_devices_text(), HasSubstr("vulkan:0 "));
}

TEST_F(VulkanTest, ValidationMessagesAreCollected) {
  // The harness's own check: an invalid call (a buffer of size 0) must produce a message, or
  // the "no validation message" rule of every other test would prove nothing.
  ASSERT_TRUE(context().instance->validating());
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = 0;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  VkBuffer buffer = VK_NULL_HANDLE;
  if (vkCreateBuffer(device().handle(), &info, nullptr, &buffer) == VK_SUCCESS) {
    vkDestroyBuffer(device().handle(), buffer, nullptr);
  }
  const auto messages = context().instance->validation_messages();
  ASSERT_FALSE(messages.empty());
  EXPECT_THAT(messages[0], HasSubstr("VUID-VkBufferCreateInfo-size"));
  context().instance->clear_validation_messages();
}

TEST_F(VulkanTest, MissingDeviceIndexIsAnInputError) {
  try {
    VulkanDevice d(*context().instance, 99);
    FAIL() << "device 99 opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_THAT(e.what(), HasSubstr("Vulkan device 99 does not exist"));
  }
}

TEST_F(VulkanTest, UploadDownloadRoundTripsAndCountsMemory) {
  const uint64_t before = device().memory_used_bytes();
  {
    std::vector<uint8_t> bytes(1000);
    std::iota(bytes.begin(), bytes.end(), 0);
    DeviceBuffer b(device(), 1000, "round trip");
    EXPECT_GE(device().memory_used_bytes(), before + 1000);
    upload(b, 0, bytes.data(), bytes.size());
    std::vector<uint8_t> back(10);
    download(b, 500, back.data(), back.size());
    EXPECT_EQ(0, std::memcmp(back.data(), bytes.data() + 500, 10));
    EXPECT_THROW(download(b, 995, back.data(), 10), Error);
  }
  EXPECT_EQ(device().memory_used_bytes(), before);
}

TEST_F(VulkanTest, TooLargeForTheDeviceFailsWithTheNumbers) {
  try {
    device().require_fits(device().memory_total_bytes() + 1, "model 'big.gguf'");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnavailable);
    EXPECT_THAT(e.what(), HasSubstr("model 'big.gguf' needs"));
    EXPECT_THAT(e.what(), HasSubstr("MiB in use"));
  }
}

TEST_F(VulkanTest, UnsupportedWeightTypeAndLayoutAreRefused) {
  std::vector<uint8_t> blocks(84);
  kernels::WeightView w{tensor::DType::kQ2_K, blocks.data(), 256, 1, 0};
  try {
    upload_weight(device(), w, "blk.0.attn_q.weight");
    FAIL() << "Q2_K uploaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_THAT(e.what(), HasSubstr("blk.0.attn_q.weight' has type Q2_K"));
    EXPECT_THAT(e.what(), HasSubstr("Q6_K"));
  }
  std::vector<float> f(8 * 32);
  kernels::WeightView packed{tensor::DType::kF32,          f.data(), 32, 8, 128,
                             kernels::WeightLayout::kRows8};
  EXPECT_THROW(upload_weight(device(), packed, "packed"), Error);
}

TEST_F(VulkanTest, EmbeddedShadersAreSpirv) {
  // (Each is turned into a pipeline, under validation, by the op tests.)
  ASSERT_GE(embedded_shaders().size(), 40u);
  for (const auto& s : embedded_shaders()) {
    EXPECT_GT(s.n_words, 5u) << s.name;
    EXPECT_EQ(s.words[0], 0x07230203u) << s.name << ": not SPIR-V";
  }
  EXPECT_THROW(find_shader("no_such_shader"), Error);
}

TEST_F(VulkanTest, ARecordingAbandonedByAnErrorIsDiscarded) {
  const DeviceBuffer x = zeros(8);
  rec().begin();
  EXPECT_THROW(softmax(rec(), {whole(x), 0, 8}, 2, 8), Error);  // rows beyond the buffer
  rec().begin();
  softmax(rec(), {whole(x), 0, 8}, 1, 8);
  rec().submit_and_wait();
  EXPECT_EQ(rec().dispatch_count(), 1u);
  EXPECT_FLOAT_EQ(floats_from_device(x, 8)[0], 1.0f / 8);
}

TEST_F(VulkanTest, StagedTablesSurviveLaterStaging) {
  rec().begin();
  std::vector<uint32_t> small(4, 7);
  const BufferSlice a = rec().stage(small.data(), small.size() * 4);
  std::vector<uint32_t> big((size_t{1} << 20) / 4 + 1, 9);  // forces a second chunk
  const BufferSlice b = rec().stage(big.data(), big.size() * 4);
  rec().submit_and_wait();
  uint32_t v = 0;
  download(*a.buffer, a.offset, &v, 4);
  EXPECT_EQ(v, 7u);
  download(*b.buffer, b.offset + 4 * (big.size() - 1), &v, 4);
  EXPECT_EQ(v, 9u);
  EXPECT_EQ(b.offset % device().storage_offset_alignment(), 0u);
}

}  // namespace
}  // namespace dsinfer::vulkan::test
