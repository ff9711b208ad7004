// config_admin.cpp — see config_admin.hpp.
#include "gateway/config_admin.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "auth/secret_file.hpp"

namespace vncgate::gateway::config_detail {
namespace {

constexpr std::string_view metrics_keys[] = {"enabled", "address", "admin_token_file", "max_connections"};

bool is_loopback(const std::string& host) {
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(AF_INET, host.c_str(), bytes.data()) == 1) return bytes[0] == 127;
  if (::inet_pton(AF_INET6, host.c_str(), bytes.data()) == 1) {
    constexpr std::array<unsigned char, 16> loopback6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    constexpr std::array<unsigned char, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (bytes == loopback6) return true;
    return std::equal(mapped.begin(), mapped.end(), bytes.begin()) && bytes[12] == 127;
  }
  return false;
}

bool is_token_char(char c) { return c > ' ' && c < 0x7f; }

// The token: the file's first line, without its line end; printable ASCII, no spaces
// (it travels in an HTTP header), at least min_admin_token_size characters.
void read_token(const field& f, const std::filesystem::path& base_dir, metrics_config& out, error_list& e) {
  auto path = read_path(f, "admin_token_file", base_dir, e);
  if (!path) return;
  out.admin_token_file = *path;
  auto content = auth::read_secret_file(*path);
  if (!content) return e.add(f, content.error());
  wipe_on_exit guard{*content};
  std::string_view token(*content);
  token = token.substr(0, token.find('\n'));
  if (!token.empty() && token.back() == '\r') token.remove_suffix(1);
  if (!std::all_of(token.begin(), token.end(), is_token_char))
    return e.add(f, "the admin token in " + path->string() +
                        " must be one line of printable ASCII without spaces (e.g. `openssl rand -hex 32`)");
  if (token.size() < min_admin_token_size)
    return e.add(f, "the admin token in " + path->string() + " is " + std::to_string(token.size()) +
                        " characters long; expected at least " + std::to_string(min_admin_token_size) +
                        " (e.g. `openssl rand -hex 32`)");
  out.admin_token.assign(token);
}

}  // namespace

void read_metrics(const field& f, const std::vector<std::pair<endpoint, int>>& listeners,
                  const std::filesystem::path& base_dir, metrics_config& out, error_list& e) {
  if (!f.present()) return;
  const yaml_map m(f, "metrics", metrics_keys, {}, e);
  if (!m.valid()) return;
  if (auto enabled = read_bool(m.get("enabled"), "enabled", e)) out.enabled = *enabled;
  if (auto n = read_integer(m.get("max_connections"), "max_connections", 1, 1024, e))
    out.max_connections = static_cast<std::size_t>(*n);
  const auto token_field = m.get("admin_token_file");
  if (token_field.present()) read_token(token_field, base_dir, out, e);
  const auto address_field = m.get("address");
  if (auto address = read_endpoint(address_field, "address", e)) {
    for (const auto& [other, line] : listeners) {
      if (other.host == address->host && other.port == address->port) {
        e.add(address_field, "address " + address->to_string() + " is already used by the listener at line " +
                                 std::to_string(line));
        break;
      }
    }
    out.address = std::move(*address);
  }
  // Off loopback, anyone on the network could end sessions and read who is logged in.
  if (out.enabled && !is_loopback(out.address.host) && !token_field.present())
    e.add(address_field.present() ? address_field : f,
          "the admin listener " + out.address.to_string() +
              " is not on loopback: set metrics.admin_token_file (a bearer token for the admin API) or "
              "listen on 127.0.0.1");
}

}  // namespace vncgate::gateway::config_detail
