// Lookup of embedded shaders by name.
#include "vulkan/shader_library.h"

#include "base/error.h"

namespace dsinfer::vulkan {

const EmbeddedShader& find_shader(std::string_view name) {
  for (const auto& s : embedded_shaders()) {
    if (name == s.name) return s;
  }
  fail(ErrorKind::kInternal, "Vulkan: no embedded shader named '{}'", name);
}

}  // namespace dsinfer::vulkan
