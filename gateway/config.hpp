// config.hpp — the gateway's configuration as plain values.
//
// Loaded and fully validated by load_config (config_load.cpp, the only place that sees
// YAML); immutable afterwards. Sessions hold a std::shared_ptr<const config> snapshot.
// Secrets (upstream VNC passwords, users file hashes) are read during loading, from
// files that must not be group/world readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/client_certificate.hpp"
#include "auth/file_backend.hpp"
#include "auth/totp_factor.hpp"
#include "policy/cidr.hpp"
#include "policy/lockout.hpp"
#include "policy/session_caps.hpp"
#include "policy/target_rules.hpp"
#include "policy/token_bucket.hpp"
#include "rfb/expected.hpp"

namespace vncgate::gateway {

using std::chrono::milliseconds;

enum class listener_security {
  vencrypt,  // RFB VeNCrypt: TLS negotiated inside RFB (X509Plain; TLSPlain if allowed)
  tls,       // TLS from the first byte, RFB inside; VeNCrypt Plain over it
  plain,     // no TLS at the gateway: VeNCrypt Plain over TCP, for a client leg that a
             // TLS-terminating load balancer or sidecar protects (client_leg_protected)
};

struct endpoint {
  std::string host;   // literal address or name; "0.0.0.0", "::", "127.0.0.1"
  std::uint16_t port = 0;
  std::string to_string() const;  // "host:port", IPv6 in brackets
};

// Whether a listener asks TLS clients for a certificate (mTLS), and if one must come.
enum class client_certificate_mode { off, optional, required };

struct listener_config {
  endpoint address;
  listener_security security = listener_security::vencrypt;
  std::optional<std::size_t> target;   // index into config::targets when bound to one
  bool allow_anonymous_tls = false;    // vencrypt only: also offer TLSPlain (259)
  policy::access_rules addresses;      // allow_cidrs / deny_cidrs: applied after the global ones
  std::optional<bool> greet_refused;   // overrides policy.greet_refused for this listener
  client_certificate_mode client_certificate = client_certificate_mode::off;  // optional when tls.client_ca is set
  bool client_leg_protected = false;   // plain only: the administrator says TLS protects the client leg
  // A PROXY protocol header (v1 or v2) precedes every connection; the client it names is
  // the source for every policy decision and the audit. Believed only from these peers
  // (the balancers); a connection from any other address is refused.
  bool proxy_protocol = false;
  std::vector<policy::cidr> proxy_protocol_from;  // default: loopback (127.0.0.0/8, ::1/128)
};

struct tls_config {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  std::optional<std::filesystem::path> client_ca;   // PEM CA bundle trusted for client certificates
  std::optional<std::filesystem::path> client_crl;  // PEM CRLs; every chain is checked against them
  auth::certificate_identity client_identity = auth::certificate_identity::cn;  // which field names the user
  // Hand the session keys to the kernel after the handshake when it takes them (kTLS,
  // the `tls` ULP), so framebuffer bytes can be spliced to the client; false: never.
  bool kernel_tls = true;
};

enum class auth_backend_kind { pam, file };

// What a login must show besides the password.
enum class second_factor {
  none,
  totp,                // a one-time code typed after the password (RFC 6238)
  client_certificate,  // a verified client certificate naming the same user
};
std::string_view to_string(second_factor f) noexcept;
std::string_view to_string(listener_security s) noexcept;  // vencrypt, tls, plain

// How the typed password field answers a PAM stack's prompts (auth/pam_backend.hpp).
enum class pam_prompt_mode {
  whole,  // the whole field answers the first echo-off prompt (pam_oath use_first_pass)
  split,  // password to the first echo-off prompt, the trailing code to the second
};

struct auth_config {
  auth_backend_kind backend = auth_backend_kind::pam;
  std::string pam_service = "vncgate";
  std::filesystem::path users_file;            // backend: file
  std::vector<auth::user_record> users;        // loaded from users_file
  milliseconds failure_delay{2000};            // every refusal takes at least this long
  std::size_t threads = 4;                     // bounded pool for PAM / crypt
  second_factor factor = second_factor::none;  // for every target that does not say
  std::filesystem::path totp_secrets_file;     // required when any target needs totp
  std::map<std::string, auth::totp_secret, std::less<>> totp_secrets;  // user -> secret, loaded
  unsigned totp_window = 1;                    // steps accepted before and after now
  std::string totp_issuer = "vncgate";         // the name authenticator apps show (enroll)
  pam_prompt_mode pam_prompts = pam_prompt_mode::whole;
  unsigned pam_code_digits = 6;                // split mode: the code's length

  const auth::totp_secret* totp_secret_of(std::string_view user) const;
};

struct target_config {
  std::string name;
  endpoint address;                            // host + (port or 5900 + display)
  std::optional<std::filesystem::path> password_file;  // absent: the target uses None
  std::string password;                        // read from password_file at load
  policy::access_list allow;
  policy::access_list deny;                    // wins over allow; empty: denies nobody
  policy::access_list view_only;               // who gets view-only; empty: nobody
  policy::access_list block_paste;             // whose paste-in (client cut text) is dropped
  std::optional<bool> shared;                  // forced shared flag; absent: the client's
  milliseconds connect_timeout{5000};
  std::optional<milliseconds> idle_timeout;    // overrides policy.idle_timeout (0: none)
  std::optional<milliseconds> max_session;     // overrides policy.max_session (0: none)
  std::optional<second_factor> factor;         // overrides auth.second_factor
};

struct policy_config {
  // At accept, before any byte is sent.
  policy::access_rules addresses;              // allow_cidrs / deny_cidrs
  bool greet_refused = false;                  // refused at accept: RFB failure message (true) or close
  // connections_per_minute_per_ip (60) with connection_burst_per_ip (20); absent: none (key 0)
  std::optional<policy::keyed_rate_limit> per_source_rate =
      policy::keyed_rate_limit{.rate = {.tokens = 60, .per = std::chrono::minutes(1), .burst = 20}};
  std::optional<policy::rate_limit> global_rate;            // connections_per_minute; absent: none
  std::size_t max_handshakes = 1024;           // connections not yet authenticated; 0 = unlimited
  std::size_t max_handshakes_per_ip = 32;      // the same per source (IPv6: per /64); 0 = unlimited
  milliseconds handshake_timeout{10000};
  // Around authentication.
  policy::lockout_config lockout;
  bool reveal_lockout = false;                 // tell a locked-out client so (default: the same failure)
  // Sessions.
  policy::session_limits sessions;             // max_sessions*, plus each target's max_sessions
  milliseconds idle_timeout{0};                // no client input for this long ends a session; 0 = none
  milliseconds max_session{0};                 // longest session; 0 = none
  bool end_revoked_sessions = true;            // on reload: end sessions the new rules refuse
};

enum class audit_sink_kind { file, stdout_sink, syslog };

struct audit_sink_config {
  audit_sink_kind kind = audit_sink_kind::stdout_sink;
  std::filesystem::path path;                  // file: the file; syslog: the socket (/dev/log)
  int facility = 10;                           // syslog: RFC 5424 facility code (10 = authpriv)
  std::string app_name = "vncgate";            // syslog: APP-NAME
};

// The admin listener: /metrics, /healthz, /readyz and the admin API (admin_server.hpp).
struct metrics_config {
  bool enabled = true;
  endpoint address{"127.0.0.1", 9900};
  std::filesystem::path admin_token_file;      // empty: no token, the admin API answers 401
  std::string admin_token;                     // the bearer token in it (secret)
  std::size_t max_connections = 16;            // admin connections open at once
};

struct config {
  std::filesystem::path source;                // the file it came from
  std::string source_sha256;                   // SHA-256 of the file's bytes, lower-case hex
  std::vector<listener_config> listeners;
  tls_config tls;
  auth_config auth;
  std::vector<target_config> targets;
  std::vector<policy::target_rule> target_rules;  // same order as targets
  policy_config policy;
  std::vector<audit_sink_config> audit;
  std::size_t workers = 0;                     // I/O threads; 0 = number of cores
  metrics_config metrics;
  milliseconds shutdown_grace{25000};          // SIGTERM: how long sessions may go on before they are ended

  config() = default;
  config(const config&) = delete;
  config& operator=(const config&) = delete;
  config(config&&) = default;
  config& operator=(config&&) = default;
  ~config();                                   // wipes the secrets it holds
};

struct config_error {
  std::string file;
  int line = 0;     // 1-based; 0 when the error is not tied to a place
  int column = 0;   // 1-based
  std::string message;
  std::string to_string() const;  // "file:line:col: message"
};

// Reads, parses and validates everything, including the files the config names
// (users file, secret files, TLS certificate and key). Collects every error it can
// rather than stopping at the first.
expected<config, std::vector<config_error>> load_config(const std::filesystem::path& path);

}  // namespace vncgate::gateway
