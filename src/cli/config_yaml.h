// CLI11 config-file format for dsinfer: a flat YAML map of flag names to values
// (`max-body-bytes: 2097152`, underscores accepted for dashes, lists for repeatable flags), and
// --print-config output in the same format with secrets redacted.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace dsinfer::cli {

class YamlConfig : public CLI::Config {
 public:
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

// Adds `--name` bound to `field` with env DSINFER_<NAME> (dashes → underscores, upper case).
// DSINFER_<NAME>: dashes become underscores, letters upper case.
inline std::string setting_env_name(const std::string& name) {
  std::string env = "DSINFER_";
  for (char c : name) env += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return env;
}

template <typename T>
CLI::Option* add_setting(CLI::App* cmd, const std::string& name, T& field,
                         const std::string& help) {
  return cmd->add_option("--" + name, field, help)
      ->envname(setting_env_name(name))
      ->capture_default_str();
}

// Booleans are flags: --name / --no-name, env DSINFER_<NAME>=true|false.
inline CLI::Option* add_setting(CLI::App* cmd, const std::string& name, bool& field,
                                const std::string& help) {
  return cmd->add_flag("--" + name + ",!--no-" + name, field, help)
      ->envname(setting_env_name(name))
      ->capture_default_str();
}

// Prints the effective values of `cmd`'s options as YAML; options whose name contains "key" or
// "secret" are redacted.
std::string effective_config_yaml(const CLI::App& cmd);

}  // namespace dsinfer::cli
