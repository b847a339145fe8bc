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

// NOTE: the one declaration of a setting: add_setting(cmd, "name", field, help) binds `--name`,
// the env var DSINFER_<NAME>, the YAML key `name` (config files of `serve`; underscores accepted)
// and the default (the field's initial value, shown in --help and --print-config) together;
// validators chain on the returned option (->check) or run before the model loads
// (validate_engine_config). Precedence: default < file < env < flag.

// DSINFER_<NAME>: dashes become underscores, letters upper case.
inline std::string setting_env_name(const std::string& name) {
  std::string env = "DSINFER_";
  for (char c : name) env += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return env;
}

// Adds `--name` bound to `field` with env DSINFER_<NAME>.
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
