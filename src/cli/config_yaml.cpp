// YAML config files for CLI11 (yaml-cpp).
#include "cli/config_yaml.h"

#include <sstream>

#include <yaml-cpp/yaml.h>

namespace dsinfer::cli {
namespace {

bool is_secret(const std::string& name) {
  return name.find("key") != std::string::npos || name.find("secret") != std::string::npos;
}

}  // namespace

std::vector<CLI::ConfigItem> YamlConfig::from_config(std::istream& input) const {
  YAML::Node root;
  try {
    root = YAML::Load(input);
  } catch (const YAML::Exception& e) {
    throw CLI::ConversionError("config file", std::string("invalid YAML: ") + e.what());
  }
  std::vector<CLI::ConfigItem> items;
  if (!root || root.IsNull()) return items;
  if (!root.IsMap()) throw CLI::ConversionError("config file", "must be a YAML map of settings");
  for (const auto& kv : root) {
    CLI::ConfigItem item;
    item.name = kv.first.as<std::string>();
    for (auto& c : item.name) c = c == '_' ? '-' : c;
    const YAML::Node& v = kv.second;
    if (v.IsSequence()) {
      for (const auto& e : v) item.inputs.push_back(e.as<std::string>());
    } else if (v.IsScalar()) {
      item.inputs.push_back(v.as<std::string>());
    } else {
      throw CLI::ConversionError(item.name, "config value must be a scalar or a list");
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::string effective_config_yaml(const CLI::App& cmd) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const CLI::Option* opt : cmd.get_options()) {
    const std::string name = opt->get_single_name();
    if (name.empty() || name == "help" || name == "config" || name == "print-config") continue;
    std::vector<std::string> values = opt->results();
    if (values.empty() && !opt->get_default_str().empty()) values = {opt->get_default_str()};
    out << YAML::Key << name << YAML::Value;
    if (is_secret(name) && !values.empty()) {
      out << "<redacted>";
    } else if (values.size() == 1) {
      out << values[0];
    } else {
      out << YAML::Flow << values;
    }
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string YamlConfig::to_config(const CLI::App* app, bool, bool, std::string) const {
  return effective_config_yaml(*app);
}

}  // namespace dsinfer::cli
