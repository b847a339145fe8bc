// VkInstance creation, the validation messenger and physical-device descriptions.
#include "vulkan/vulkan_instance.h"

#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
#include "vulkan/vk_error.h"

namespace dsinfer::vulkan {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

bool layer_installed(const char* name) {
  uint32_t n = 0;
  vk_check(vkEnumerateInstanceLayerProperties(&n, nullptr), "vkEnumerateInstanceLayerProperties");
  std::vector<VkLayerProperties> layers(n);
  vk_check(vkEnumerateInstanceLayerProperties(&n, layers.data()),
           "vkEnumerateInstanceLayerProperties");
  for (const auto& l : layers) {
    if (std::strcmp(l.layerName, name) == 0) return true;
  }
  return false;
}

const char* device_type_name(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "CPU";
    default:
      return "other";
  }
}

}  // namespace

VulkanInstance::VulkanInstance(const InstanceOptions& options) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "dsinfer";
  app.pEngineName = "dsinfer";
  app.apiVersion = VK_API_VERSION_1_2;

  std::vector<const char*> layers;
  std::vector<const char*> extensions;
  VkDebugUtilsMessengerCreateInfoEXT messenger_info{
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  if (options.validation) {
    if (!layer_installed(kValidationLayer)) {
      fail(ErrorKind::kUnsupported,
           "Vulkan validation requested but {} is not installed (Debian: vulkan-validationlayers)",
           kValidationLayer);
    }
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    messenger_info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                                     VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    messenger_info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                                 VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                                 VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    messenger_info.pfnUserCallback = &VulkanInstance::on_message;
    messenger_info.pUserData = this;
  }
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  // Chained so that instance creation itself is validated too.
  if (options.validation) info.pNext = &messenger_info;
  vk_check(vkCreateInstance(&info, nullptr, &instance_), "vkCreateInstance");
  if (options.validation) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (create == nullptr) {
      vkDestroyInstance(instance_, nullptr);
      fail(ErrorKind::kUnsupported, "Vulkan: {} lacks vkCreateDebugUtilsMessengerEXT",
           kValidationLayer);
    }
    const VkResult r = create(instance_, &messenger_info, nullptr, &messenger_);
    if (r != VK_SUCCESS) {
      vkDestroyInstance(instance_, nullptr);
      vk_check(r, "vkCreateDebugUtilsMessengerEXT");
    }
  }
}

VulkanInstance::~VulkanInstance() {
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy != nullptr) destroy(instance_, messenger_, nullptr);
  }
  vkDestroyInstance(instance_, nullptr);
}

std::vector<VkPhysicalDevice> VulkanInstance::physical_devices() const {
  uint32_t n = 0;
  vk_check(vkEnumeratePhysicalDevices(instance_, &n, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> devices(n);
  vk_check(vkEnumeratePhysicalDevices(instance_, &n, devices.data()), "vkEnumeratePhysicalDevices");
  devices.resize(n);
  return devices;
}

VulkanDeviceInfo VulkanInstance::describe(VkPhysicalDevice device, int index) const {
  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &driver;
  vkGetPhysicalDeviceProperties2(device, &props);
  VkPhysicalDeviceMemoryProperties mem;
  vkGetPhysicalDeviceMemoryProperties(device, &mem);

  VulkanDeviceInfo info;
  info.index = index;
  info.name = props.properties.deviceName;
  info.type = device_type_name(props.properties.deviceType);
  info.driver = fmt::format("{} {}", driver.driverName, driver.driverInfo);
  const uint32_t v = props.properties.apiVersion;
  info.api_version = fmt::format("{}.{}.{}", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v),
                                 VK_API_VERSION_PATCH(v));
  for (uint32_t i = 0; i < mem.memoryHeapCount; ++i) {
    if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) {
      info.memory_bytes += mem.memoryHeaps[i].size;
    }
  }
  return info;
}

std::vector<std::string> VulkanInstance::validation_messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

void VulkanInstance::clear_validation_messages() {
  std::lock_guard lock(mutex_);
  messages_.clear();
}

VKAPI_ATTR VkBool32 VKAPI_CALL VulkanInstance::on_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void* self) {
  auto* instance = static_cast<VulkanInstance*>(self);
  const char* level =
      (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) != 0 ? "error" : "warning";
  std::string text = fmt::format("{}: {}", level, data->pMessage ? data->pMessage : "");
  std::lock_guard lock(instance->mutex_);
  instance->messages_.push_back(std::move(text));
  return VK_FALSE;
}

}  // namespace dsinfer::vulkan
