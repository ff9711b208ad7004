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

std::string_view to_string(listener_security s) noexcept {
  switch (s) {
    case listener_security::vencrypt: return "vencrypt";
    case listener_security::tls: return "tls";
    case listener_security::plain: return "plain";
  }
  return "vencrypt";
}

std::string_view to_string(second_factor f) noexcept {
  switch (f) {
    case second_factor::none: return "none";
    case second_factor::totp: return "totp";
    case second_factor::client_certificate: return "client_certificate";
  }
  return "none";
}

const auth::totp_secret* auth_config::totp_secret_of(std::string_view user) const {
  auto it = totp_secrets.find(user);
  return it == totp_secrets.end() ? nullptr : &it->second;
}

config::~config() {
  for (auto& t : targets) config_detail::wipe(t.password);
  for (auto& u : auth.users) config_detail::wipe(u.password_hash);
  config_detail::wipe(metrics.admin_token);
}

}  // namespace vncgate::gateway
