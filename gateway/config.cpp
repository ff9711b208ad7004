// config.cpp — the small value functions of config.hpp; loading is in config_load.cpp.
#include "gateway/config.hpp"

#include "gateway/config_yaml.hpp"

namespace vncgate::gateway {

std::string endpoint::to_string() const {
  const auto port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

std::string config_error::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

config::~config() {
  for (auto& t : targets) config_detail::wipe(t.password);
  for (auto& u : auth.users) config_detail::wipe(u.password_hash);
}

}  // namespace vncgate::gateway
