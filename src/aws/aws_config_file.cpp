#include "aws/aws_config_file.hpp"

#include <fstream>
#include <sstream>

#include "base/strings.hpp"
#include "cachedata/headers.hpp"

namespace cachedata::aws {
namespace {

std::string_view trim(std::string_view s) {
  return base::trim(s, base::kLineWhitespace);
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

std::string home_file(const EnvLookup& env, const char* leaf) {
  auto home = env_value(env, "HOME");
  if (!home) return {};
  return *home + "/.aws/" + leaf;
}

}  // namespace

IniSections parse_ini(std::string_view text) {
  IniSections sections;
  std::map<std::string, std::string>* current = nullptr;
  std::string parent_key;  // a key with an empty value: indented lines below are its children
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      if (close == std::string_view::npos) {
        current = nullptr;  // a broken header: ignore its keys rather than misfile them
        continue;
      }
      // Inner blanks are kept as one ("[profile  x]" → "profile x").
      std::string name;
      for (char c : trim(line.substr(1, close - 1))) {
        if ((c == ' ' || c == '\t')) {
          if (!name.empty() && name.back() != ' ') name.push_back(' ');
        } else {
          name.push_back(c);
        }
      }
      current = &sections[name];
      parent_key.clear();
      continue;
    }
    if (current == nullptr) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key = to_lower(trim(line.substr(0, eq)));
    std::string value(trim(line.substr(eq + 1)));
    if (key.empty()) continue;
    if (indented && !parent_key.empty()) {
      (*current)[parent_key + "." + key] = value;
      continue;
    }
    parent_key = value.empty() ? key : std::string();
    (*current)[key] = value;
  }
  return sections;
}

std::optional<std::string> SharedProfile::get(std::string_view key) const {
  auto it = values.find(std::string(key));
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string profile_name(const EnvLookup& env, const std::string& override_name) {
  if (!override_name.empty()) return override_name;
  return env_value(env, "AWS_PROFILE").value_or("default");
}

std::string credentials_file_path(const EnvLookup& env) {
  if (auto p = env_value(env, "AWS_SHARED_CREDENTIALS_FILE")) return *p;
  return home_file(env, "credentials");
}

std::string config_file_path(const EnvLookup& env) {
  if (auto p = env_value(env, "AWS_CONFIG_FILE")) return *p;
  return home_file(env, "config");
}

SharedProfile load_profile(const EnvLookup& env, const std::string& name) {
  SharedProfile profile;
  profile.name = name;
  const std::string config_path = config_file_path(env);
  if (!config_path.empty()) {
    IniSections config = parse_ini(read_whole(config_path));
    // The config file names profiles "[profile x]"; "[default]" is the one exception (and
    // "[profile default]" is accepted too).
    for (const std::string& section :
         {name == "default" ? std::string("default") : std::string(), "profile " + name}) {
      if (section.empty()) continue;
      if (auto it = config.find(section); it != config.end()) {
        profile.found = true;
        for (const auto& [k, v] : it->second) profile.values[k] = v;
      }
    }
  }
  const std::string credentials_path = credentials_file_path(env);
  if (!credentials_path.empty()) {
    IniSections credentials = parse_ini(read_whole(credentials_path));
    if (auto it = credentials.find(name); it != credentials.end()) {
      profile.found = true;
      for (const auto& [k, v] : it->second) profile.values[k] = v;
    }
  }
  return profile;
}

}  // namespace cachedata::aws
