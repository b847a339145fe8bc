// VkResult → Error kind: a lost device is its own kind (the engine fails for good on it), device
// or host out-of-memory is kUnavailable, anything else kInternal. Needs no device.
#include <string>

#include <gmock/gmock.h>

#include "base/error.h"
#include "vulkan/vk_error.h"

namespace dsinfer::vulkan::test {
namespace {

using ::testing::HasSubstr;

ErrorKind kind_of(VkResult result) {
  try {
    vk_check(result, "vkQueueSubmit");
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Vulkan: vkQueueSubmit failed: "));
    return e.kind();
  }
  ADD_FAILURE() << "no error for " << result;
  return ErrorKind::kInternal;
}

TEST(VkCheck, DeviceLostIsItsOwnKind) {
  EXPECT_NO_THROW(vk_check(VK_SUCCESS, "vkQueueSubmit"));
  EXPECT_EQ(kind_of(VK_ERROR_DEVICE_LOST), ErrorKind::kDeviceLost);
  try {
    vk_check(VK_ERROR_DEVICE_LOST, "vkWaitForFences");
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("vkWaitForFences failed: VK_ERROR_DEVICE_LOST"));
  }
  EXPECT_EQ(kind_of(VK_ERROR_OUT_OF_DEVICE_MEMORY), ErrorKind::kUnavailable);
  EXPECT_EQ(kind_of(VK_ERROR_OUT_OF_HOST_MEMORY), ErrorKind::kUnavailable);
  EXPECT_EQ(kind_of(VK_ERROR_INITIALIZATION_FAILED), ErrorKind::kInternal);
  EXPECT_EQ(kind_of(static_cast<VkResult>(-12345)), ErrorKind::kInternal);
}

}  // namespace
}  // namespace dsinfer::vulkan::test
