// Shared set-up of the Vulkan op tests: one validated instance and device per test process
// (DSINFER_VULKAN_TEST_DEVICE picks the device, default 0), and the rule that any validation
// message fails the test. Without a Vulkan device the tests skip loudly; under CI=true they fail
// (CI installs Mesa's lavapipe, scripts/deps.sh).
#pragma once

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fixtures.h"
#include "vulkan/command_recorder.h"
#include "vulkan/compute_pipeline.h"
#include "vulkan/device_buffer.h"
#include "vulkan/vulkan_device.h"
#include "vulkan/vulkan_instance.h"

namespace dsinfer::vulkan::test {

class VulkanTest : public ::testing::Test {
 protected:
  struct Context {
    std::unique_ptr<VulkanInstance> instance;
    std::unique_ptr<VulkanDevice> device;
    std::unique_ptr<PipelineSet> pipelines;
    std::unique_ptr<CommandRecorder> recorder;
    std::string error;
  };

  static Context& context() {
    static Context ctx = [] {
      Context c;
      try {
        c.instance = std::make_unique<VulkanInstance>(InstanceOptions{true});
        const char* pick = std::getenv("DSINFER_VULKAN_TEST_DEVICE");
        c.device = std::make_unique<VulkanDevice>(*c.instance, pick ? std::atoi(pick) : 0);
        c.pipelines = std::make_unique<PipelineSet>(*c.device);
        c.recorder = std::make_unique<CommandRecorder>(*c.pipelines);
      } catch (const std::exception& e) {
        c.error = e.what();
      }
      return c;
    }();
    return ctx;
  }

  void SetUp() override {
    Context& c = context();
    if (!c.error.empty()) {
      if (dsinfer::test::in_ci()) {
        FAIL() << "no usable Vulkan device with validation under CI=true: " << c.error;
      }
      GTEST_SKIP() << "SKIPPED LOUDLY: no usable Vulkan device with validation layers (" << c.error
                   << "); install mesa-vulkan-drivers and vulkan-validationlayers";
    }
    c.instance->clear_validation_messages();
  }

  void TearDown() override {
    Context& c = context();
    if (c.instance == nullptr) return;
    for (const auto& m : c.instance->validation_messages())
      ADD_FAILURE() << "Vulkan validation " << m;
  }

  VulkanDevice& device() { return *context().device; }
  CommandRecorder& rec() { return *context().recorder; }

  DeviceBuffer floats_to_device(const std::vector<float>& v, const char* what = "test data") {
    DeviceBuffer b(device(), std::max<size_t>(v.size(), 1) * sizeof(float), what);
    upload(b, 0, v.data(), v.size() * sizeof(float));
    return b;
  }
  DeviceBuffer zeros(size_t n_floats) {
    std::vector<float> z(std::max<size_t>(n_floats, 1), 0.0f);
    return floats_to_device(z, "test output");
  }
  static std::vector<float> floats_from_device(const DeviceBuffer& b, size_t n) {
    std::vector<float> v(n);
    download(b, 0, v.data(), n * sizeof(float));
    return v;
  }
};

}  // namespace dsinfer::vulkan::test
