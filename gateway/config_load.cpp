// config_load.cpp — load_config: vncgate.yaml mapped onto config, every error collected.
//
// The schema is documented key by key in docs/configuration.md; keep the two in step.
// Sections are read in an order that lets cross-references resolve (targets before the
// listeners that name them); errors are sorted by position at the end. The policy
// section and the access rules it shares with targets are read in config_policy.cpp.
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <tuple>

#include "auth/secret_file.hpp"
#include "gateway/config.hpp"
#include "gateway/config_admin.hpp"
#include "gateway/config_audit.hpp"
#include "gateway/config_factors.hpp"
#include "gateway/config_policy.hpp"
#include "gateway/config_yaml.hpp"

namespace vncgate::gateway {

namespace {

using namespace config_detail;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr std::string_view top_keys[] = {"workers", "listeners", "tls",   "auth",
                                         "targets", "policy",    "audit", "metrics", "shutdown_grace"};
constexpr std::string_view listener_keys[] = {"address",        "security",    "target",
                                              "allow_anonymous_tls", "proxy_protocol",
                                              "allow_cidrs",    "deny_cidrs",  "greet_refused",
                                              "client_certificate", "client_leg_protected",
                                              "proxy_protocol_from"};
constexpr std::string_view tls_keys[] = {"certificate", "private_key", "client_ca", "client_crl",
                                         "client_identity", "kernel_tls"};
constexpr std::string_view auth_keys[] = {"backend",     "pam_service",       "users_file",  "second_factor",
                                          "failure_delay", "threads",       "totp_secrets_file", "totp_window",
                                          "totp_issuer", "pam_prompts",     "pam_code_digits"};
constexpr std::string_view target_keys[] = {
    "name",  "host",      "display",     "port",         "password_file", "allow",
    "deny",  "view_only", "block_paste", "max_sessions", "idle_timeout",  "max_session",
    "shared", "connect_timeout", "second_factor"};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
bool is_name(std::string_view s, std::size_t max_size) {
  return !s.empty() && s.size() <= max_size && std::all_of(s.begin(), s.end(), is_name_char);
}

// The loaded file's fingerprint, for vncgate_config_info.
std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

int line_of(const field& f) { return f.mark.is_null() ? 0 : f.mark.line + 1; }

class loader {
 public:
  loader(const fs::path& source, std::string shown_name, std::vector<config_error>& out)
      : errors_(std::move(shown_name), out), base_dir_(source.parent_path()) {
    cfg_.source = source;
  }

  void read(const YAML::Node& root) {
    const yaml_map top(field(root), "the configuration", top_keys, {}, errors_);
    if (!top.valid()) return;
    if (auto w = read_integer(top.get("workers"), "workers", 0, 1024, errors_)) {
      cfg_.workers = static_cast<std::size_t>(*w);
    }
    read_targets(top.require("targets"));
    read_tls(top.require("tls"));  // before the listeners: client_certificate depends on client_ca
    read_listeners(top.require("listeners"));
    read_auth(top.require("auth"));
    check_second_factors(cfg_, auth_mark_, totp_secrets_named_, errors_);
    read_policy(top.get("policy"), cfg_.policy, errors_);
    read_audit(top.get("audit"), base_dir_, cfg_.audit, errors_);
    read_metrics(top.get("metrics"), listener_addresses_, base_dir_, cfg_.metrics, errors_);
    if (auto grace = read_duration(top.get("shutdown_grace"), "shutdown_grace", 0ms, 24h, errors_))
      cfg_.shutdown_grace = *grace;
  }

  config& result() noexcept { return cfg_; }

 private:
  // A list that must hold at least one entry; false (after reporting) otherwise.
  bool non_empty_list(const field& f, std::string_view plural) {
    if (!f.present()) return false;
    if (!f.value.IsSequence()) {
      errors_.add(f, "expected a list of " + std::string(plural));
      return false;
    }
    if (f.value.size() == 0) {
      errors_.add(f, "the list of " + std::string(plural) + " is empty");
      return false;
    }
    return true;
  }

  void read_targets(const field& f) {
    if (!non_empty_list(f, "targets")) return;
    // Reserved up front: a reallocation would move passwords and leave copies behind.
    cfg_.targets.reserve(f.value.size());
    for (const auto& node : f.value) read_target(field(node));
    for (const auto& t : cfg_.targets) cfg_.target_rules.push_back({t.name, t.allow, t.deny});
  }

  void read_target(const field& f) {
    auto& t = cfg_.targets.emplace_back();
    target_lines_.push_back(0);
    const yaml_map m(f, "target", target_keys, {}, errors_);
    if (!m.valid()) return;

    const auto name_field = m.require("name");
    if (auto name = read_string(name_field, "name", errors_)) {
      const auto first = std::find_if(cfg_.targets.begin(), cfg_.targets.end() - 1,
                                       [&](const target_config& o) { return o.name == *name; });
      if (!is_name(*name, 64)) {
        errors_.add(name_field,
                    "expected a target name of 1 to 64 letters, digits, '.', '_' or '-' for name");
      } else if (first != cfg_.targets.end() - 1) {
        const auto line = target_lines_[static_cast<std::size_t>(first - cfg_.targets.begin())];
        errors_.add(name_field, "duplicate target name '" + *name + "'; first defined at line " +
                                    std::to_string(line));
      }
      // Kept even when invalid, so that a listener naming it gets no second error.
      t.name = std::move(*name);
      target_lines_.back() = line_of(name_field);
    }
    if (auto host = read_string(m.require("host"), "host", errors_)) t.address.host = *host;

    const auto display = m.get("display");
    const auto port = m.get("port");
    if (display.present() && port.present()) {
      errors_.add(port, "give either display or port for a target, not both");
    } else if (display.present()) {
      if (auto d = read_integer(display, "display", 0, 99, errors_)) {
        t.address.port = static_cast<std::uint16_t>(5900 + *d);
      }
    } else if (port.present()) {
      if (auto p = read_integer(port, "port", 1, 65535, errors_)) {
        t.address.port = static_cast<std::uint16_t>(*p);
      }
    } else {
      errors_.add(m.mark(), "target is missing 'display' or 'port'");
    }

    const auto password_field = m.get("password_file");
    if (auto path = read_path(password_field, "password_file", base_dir_, errors_)) {
      t.password_file = *path;
      auto password = auth::read_vnc_password_file(*path);
      if (!password) {
        errors_.add(password_field, password.error());
      } else {
        t.password = password.value();  // a copy into its final place, then wipe the source
        wipe(password.value());
      }
    }

    if (auto allow = read_access_list(m.require("allow"), "allow", errors_)) {
      t.allow = std::move(*allow);
    }
    if (auto deny = read_access_list(m.get("deny"), "deny", errors_)) t.deny = std::move(*deny);
    if (auto view_only = read_access_list(m.get("view_only"), "view_only", errors_)) {
      t.view_only = std::move(*view_only);
    }
    if (auto block = read_access_list(m.get("block_paste"), "block_paste", errors_)) {
      t.block_paste = std::move(*block);
    }
    if (auto cap = read_integer(m.get("max_sessions"), "max_sessions", 0, 1'000'000, errors_)) {
      cfg_.policy.sessions.target_limits[t.name] = static_cast<std::size_t>(*cap);
    }
    t.idle_timeout = read_session_duration(m.get("idle_timeout"), "idle_timeout", errors_);
    t.max_session = read_session_duration(m.get("max_session"), "max_session", errors_);

    if (auto shared = read_bool(m.get("shared"), "shared", errors_)) t.shared = *shared;
    t.factor = read_second_factor(m.get("second_factor"), errors_);
    if (auto timeout = read_duration(m.get("connect_timeout"), "connect_timeout", 1ms, 5min,
                                     errors_)) {
      t.connect_timeout = *timeout;
    }
  }

  void read_listeners(const field& f) {
    if (!non_empty_list(f, "listeners")) return;
    for (const auto& node : f.value) read_listener(field(node));
  }

  void read_listener(const field& f) {
    const yaml_map m(f, "listener", listener_keys, {}, errors_);
    if (!m.valid()) return;
    listener_config l;

    const auto address_field = m.require("address");
    if (auto address = read_endpoint(address_field, "address", errors_)) {
      for (const auto& [other, line] : listener_addresses_) {
        if (other.host == address->host && other.port == address->port) {
          errors_.add(address_field, "address " + address->to_string() +
                                         " is already used by the listener at line " +
                                         std::to_string(line));
          break;
        }
      }
      listener_addresses_.emplace_back(*address, line_of(address_field));
      l.address = std::move(*address);
    }

    std::optional<listener_security> security;
    const auto security_field = m.require("security");
    if (auto s = read_string(security_field, "security", errors_)) {
      if (*s == "vencrypt") {
        security = listener_security::vencrypt;
      } else if (*s == "tls") {
        security = listener_security::tls;
      } else if (*s == "plain") {
        security = listener_security::plain;
      } else if (*s == "websocket") {
        errors_.add(security_field, "security: " + *s + " is not supported yet");
      } else {
        errors_.add(security_field, "expected vencrypt, tls or plain for security");
      }
    }
    if (security) l.security = *security;
    read_client_leg_protection(m.get("client_leg_protected"), security_field, l);

    const auto target_field = m.get("target");
    if (auto name = read_string(target_field, "target", errors_)) {
      const auto it = std::find_if(cfg_.targets.begin(), cfg_.targets.end(),
                                   [&](const target_config& t) { return t.name == *name; });
      if (it == cfg_.targets.end()) {
        errors_.add(target_field, "target '" + *name + "' is not one of the configured targets");
      } else {
        l.target = static_cast<std::size_t>(it - cfg_.targets.begin());
      }
    }

    const auto anonymous_field = m.get("allow_anonymous_tls");
    if (auto anonymous = read_bool(anonymous_field, "allow_anonymous_tls", errors_)) {
      if (*anonymous && security != listener_security::vencrypt) {
        errors_.add(anonymous_field, "allow_anonymous_tls is only valid with security: vencrypt");
      }
      l.allow_anonymous_tls = *anonymous;
    }

    if (auto allow = read_cidr_list(m.get("allow_cidrs"), "allow_cidrs", errors_)) {
      l.addresses.allow = std::move(*allow);
    }
    if (auto deny = read_cidr_list(m.get("deny_cidrs"), "deny_cidrs", errors_)) {
      l.addresses.deny = std::move(*deny);
    }
    const auto greet_field = m.get("greet_refused");
    if (auto greet = read_bool(greet_field, "greet_refused", errors_)) {
      // A tls listener speaks TLS first: there is no plain RFB to send a refusal in.
      if (*greet && security == listener_security::tls) {
        errors_.add(greet_field, "greet_refused: true is only valid with security: vencrypt");
      }
      l.greet_refused = *greet;
    }

    read_client_certificate(m.get("client_certificate"), l);

    read_proxy_protocol(m, l);
    cfg_.listeners.push_back(std::move(l));
  }

  // proxy_protocol: true, and the balancers whose headers are believed (loopback unless
  // proxy_protocol_from says otherwise).
  void read_proxy_protocol(const yaml_map& m, listener_config& l) {
    l.proxy_protocol = read_bool(m.get("proxy_protocol"), "proxy_protocol", errors_).value_or(false);
    const auto from_field = m.get("proxy_protocol_from");
    auto from = read_cidr_list(from_field, "proxy_protocol_from", errors_);
    if (from_field.present() && !l.proxy_protocol) {
      errors_.add(from_field, "proxy_protocol_from is only valid with proxy_protocol: true");
      return;
    }
    if (!l.proxy_protocol) return;
    if (from && from->empty()) {
      errors_.add(from_field, "proxy_protocol_from must name at least one address range: the load balancers");
      return;
    }
    if (from) {
      l.proxy_protocol_from = std::move(*from);
    } else {
      l.proxy_protocol_from = {*policy::parse_cidr("127.0.0.0/8").value, *policy::parse_cidr("::1/128").value};
    }
  }

  // A plain listener takes passwords in clear text at its socket: the administrator must
  // say that something in front (a TLS-terminating load balancer, a mesh sidecar)
  // protects the client leg.
  void read_client_leg_protection(const field& f, const field& security_field, listener_config& l) {
    const auto declared = read_bool(f, "client_leg_protected", errors_);
    if (declared && *declared && l.security != listener_security::plain)
      errors_.add(f, "client_leg_protected is only valid with security: plain");
    l.client_leg_protected = declared.value_or(false);
    if (l.security == listener_security::plain && !l.client_leg_protected && !(f.present() && !declared))
      errors_.add(security_field,
                  "security: plain takes VNC passwords unencrypted at this socket: add client_leg_protected: true "
                  "only if a TLS-terminating load balancer or sidecar protects every connection to it");
  }

  // The listener's client_certificate: off | optional | required; optional by default
  // when tls.client_ca is set (a plain listener has no TLS to ask in).
  void read_client_certificate(const field& f, listener_config& l) {
    const bool has_tls = l.security != listener_security::plain;
    l.client_certificate =
        cfg_.tls.client_ca && has_tls ? client_certificate_mode::optional : client_certificate_mode::off;
    const auto mode = read_string(f, "client_certificate", errors_);
    if (!mode) return;
    if (!has_tls && *mode != "off") {
      errors_.add(f, "client_certificate: " + *mode + " needs TLS at the gateway; a plain listener has none");
      return;
    }
    if (*mode == "off") {
      l.client_certificate = client_certificate_mode::off;
      return;
    }
    if (*mode != "optional" && *mode != "required") {
      errors_.add(f, "expected off, optional or required for client_certificate");
      return;
    }
    l.client_certificate = *mode == "optional" ? client_certificate_mode::optional : client_certificate_mode::required;
    if (!cfg_.tls.client_ca) {
      errors_.add(f, "client_certificate: " + *mode + " needs tls.client_ca (the CAs client certificates are checked against)");
    } else if (*mode == "required" && l.allow_anonymous_tls) {
      errors_.add(f, "client_certificate: required cannot be combined with allow_anonymous_tls: true "
                     "(anonymous TLS carries no certificate)");
    }
  }

  // tls.client_ca / client_crl / client_identity: the trust for client certificates.
  void read_tls(const field& f) {
    const yaml_map m(f, "tls", tls_keys, {}, errors_);
    if (!m.valid()) return;
    const auto certificate_field = m.require("certificate");
    const auto key_field = m.require("private_key");
    const auto certificate = read_path(certificate_field, "certificate", base_dir_, errors_);
    const auto key = read_path(key_field, "private_key", base_dir_, errors_);
    if (certificate) cfg_.tls.certificate = *certificate;
    if (key) cfg_.tls.private_key = *key;
    check_tls_files(certificate, certificate_field, key, key_field, errors_);
    read_client_trust(m, base_dir_, cfg_.tls, errors_);
    const auto kernel_field = m.get("kernel_tls");
    if (auto kernel = read_string(kernel_field, "kernel_tls", errors_)) {
      if (*kernel == "auto" || *kernel == "off") {
        cfg_.tls.kernel_tls = *kernel == "auto";
      } else {
        errors_.add(kernel_field, "expected auto or off for kernel_tls");
      }
    }
  }

  void read_auth(const field& f) {
    const yaml_map m(f, "auth", auth_keys, {}, errors_);
    if (!m.valid()) return;
    auto& a = cfg_.auth;

    std::optional<auth_backend_kind> backend;
    const auto backend_field = m.require("backend");
    if (auto b = read_string(backend_field, "backend", errors_)) {
      if (*b == "pam") {
        backend = auth_backend_kind::pam;
      } else if (*b == "file") {
        backend = auth_backend_kind::file;
      } else {
        errors_.add(backend_field, "expected pam or file for backend");
      }
    }
    if (backend) a.backend = *backend;

    const auto service_field = m.get("pam_service");
    if (auto service = read_string(service_field, "pam_service", errors_)) {
      // Also keeps the name from reaching outside /etc/pam.d.
      if (!is_name(*service, 255)) {
        errors_.add(service_field,
                    "expected a PAM service name of letters, digits, '.', '_' or '-' for "
                    "pam_service");
      } else {
        a.pam_service = *service;
      }
    }

    const auto users_field = m.get("users_file");
    if (backend == auth_backend_kind::pam && users_field.present()) {
      errors_.add(users_field, "users_file is only used with backend: file");
    } else if (backend == auth_backend_kind::file && !users_field.present()) {
      errors_.add(m.mark(), "auth is missing 'users_file' (required with backend: file)");
    } else if (backend == auth_backend_kind::file) {
      if (auto path = read_path(users_field, "users_file", base_dir_, errors_)) {
        a.users_file = *path;
        if (auto users = read_users_file(*path, users_field, errors_)) a.users = std::move(*users);
      }
    }

    read_auth_factors(m, backend, base_dir_, a, errors_);
    totp_secrets_named_ = m.get("totp_secrets_file").present();
    auth_mark_ = m.mark();

    if (auto delay = read_duration(m.get("failure_delay"), "failure_delay", 0ms, 60s, errors_)) {
      a.failure_delay = *delay;
    }
    if (auto threads = read_integer(m.get("threads"), "threads", 1, 256, errors_)) {
      a.threads = static_cast<std::size_t>(*threads);
    }
  }

  config cfg_;
  error_list errors_;
  fs::path base_dir_;
  std::vector<int> target_lines_;  // where each target's name is, for duplicate messages
  bool totp_secrets_named_ = false;  // auth.totp_secrets_file given, for the cross-checks
  YAML::Mark auth_mark_ = YAML::Mark::null_mark();
  std::vector<std::pair<endpoint, int>> listener_addresses_;
};

void load_into(const fs::path& path, std::vector<config_error>& errors,
               std::optional<config>& out) {
  const std::string shown = path.string();
  std::error_code ec;
  auto source = fs::absolute(path, ec);
  if (ec) source = path;
  source = source.lexically_normal();

  error_list e(shown, errors);
  const auto text = read_config_text(source, e);
  if (!text) return;
  loader l(source, shown, errors);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(*text);
  } catch (const YAML::ParserException& ex) {
    e.add(ex.mark, ex.msg);
    return;
  }
  if (docs.empty() || docs.front().IsNull()) {
    e.add_unplaced("the configuration file is empty");
    return;
  }
  if (docs.size() > 1) e.add(docs[1], "only one YAML document is allowed in a configuration file");
  l.read(docs.front());
  if (!errors.empty()) return;
  l.result().source_sha256 = sha256_hex(*text);
  out.emplace(std::move(l.result()));
}

}  // namespace

expected<config, std::vector<config_error>> load_config(const fs::path& path) {
  std::vector<config_error> errors;
  std::optional<config> result;
  try {
    load_into(path, errors, result);
  } catch (const std::exception& ex) {
    errors.push_back({path.string(), 0, 0, std::string("cannot load the configuration: ") + ex.what()});
  } catch (...) {
    errors.push_back({path.string(), 0, 0, "cannot load the configuration"});
  }
  if (errors.empty() && result) return std::move(*result);
  if (errors.empty()) errors.push_back({path.string(), 0, 0, "cannot load the configuration"});

  // Position order, the main file's errors before those of the files it names.
  const std::string main_file = path.string();
  std::stable_sort(errors.begin(), errors.end(), [&](const config_error& a, const config_error& b) {
    return std::tuple(a.file != main_file, a.file, a.line, a.column) <
           std::tuple(b.file != main_file, b.file, b.line, b.column);
  });
  return unexpected{std::move(errors)};
}

}  // namespace vncgate::gateway
