// --device parsing: the accepted forms and the refusals (with the text quoted).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/error.h"
#include "engine/device_select.h"
#include "engine/engine_config.h"

namespace dsinfer::engine {
namespace {

TEST(DeviceSelect, ParsesCpuVulkanAndIndex) {
  EXPECT_EQ(parse_device("cpu").kind, DeviceSpec::Kind::kCpu);
  const DeviceSpec v = parse_device("vulkan");
  EXPECT_EQ(v.kind, DeviceSpec::Kind::kVulkan);
  EXPECT_EQ(v.indices, std::vector<int>{0});
  const DeviceSpec v3 = parse_device("vulkan:3");
  EXPECT_EQ(v3.kind, DeviceSpec::Kind::kVulkan);
  EXPECT_EQ(v3.indices, std::vector<int>{3});
  EXPECT_EQ(parse_device("vulkan:123").indices, std::vector<int>{123});
}

TEST(DeviceSelect, ParsesALayerSplitOverSeveralDevices) {
  EXPECT_EQ(parse_device("vulkan:0,1").indices, (std::vector<int>{0, 1}));
  EXPECT_EQ(parse_device("vulkan:2,0,1").indices, (std::vector<int>{2, 0, 1}));
  EXPECT_EQ(parse_device("vulkan:0,0").indices, (std::vector<int>{0, 0}));  // one device twice
  EXPECT_EQ(parse_device("vulkan:0,1,2,3,4,5,6,7").indices.size(), 8u);
}

TEST(DeviceSelect, RefusesAnythingElseNamingTheText) {
  for (const std::string bad :
       {"", "CPU", "gpu", "cuda:0", "vulkan:", "vulkan:-1", "vulkan:x", "vulkan:1x", "vulkan:0,",
        "vulkan:,1", "vulkan:0,,1", "vulkan:0;1", "vulkan:0,1,2,3,4,5,6,7,8", "vulkan:0, 1",
        "vulkan:99999", "vulkan0", " cpu"}) {
    try {
      parse_device(bad);
      ADD_FAILURE() << "'" << bad << "' accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
      EXPECT_NE(std::string(e.what()).find("'" + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(DeviceSelect, EngineConfigValidationChecksTheDevice) {
  EngineConfig c;
  c.device = "vulkan:1";
  EXPECT_NO_THROW(validate_engine_config(c));
  c.device = "tpu";
  EXPECT_THROW(validate_engine_config(c), Error);
}

}  // namespace
}  // namespace dsinfer::engine
