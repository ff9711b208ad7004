// gateway.hpp — the vncgate binary under test, configured and started by the test.
//
// gateway_options describe listeners, users, targets and timeouts; the constructor
// writes config.yaml, users.yaml (hashes made by `vncgate hash-password`), the target
// secret files (mode 600) under dir/gw, starts `vncgate --config` in the foreground
// with stdout and stderr kept in files, and returns once every listener socket is
// listening (read from /proc, so no probe connection reaches the audit trail). It throws
// std::runtime_error with the gateway's stderr when the process exits or never listens.
// Every gateway also gets an admin listener (metrics: address: 127.0.0.1:<free port>,
// metrics_port()); http_get() reads from it.
// The destructor stops it (TERM, KILL after 5 s). Blocking; one owner.
//
// Policy keys are written as raw YAML lines (policy_lines, target_spec::extra_lines,
// listener_spec::extra_lines), so a test states a rule the way an administrator would.
// The product's per-source limits (connections_per_minute_per_ip, max_handshakes_per_ip)
// would throttle the many quick loopback connections of the suite, so they are written
// as 0 (off) unless a test sets that key itself.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/audit_trail.hpp"
#include "harness/certs.hpp"
#include "harness/diagnostics.hpp"
#include "harness/process.hpp"
#include "harness/temp_dir.hpp"

namespace vncgate::e2e {

struct user_spec {
  std::string name{};
  std::string password{};
  std::vector<std::string> groups{};
};

struct target_spec {
  std::string name{};
  std::uint16_t port = 0;
  std::string host = "127.0.0.1";
  std::optional<std::string> password{};             // written as a text secret file
  std::optional<std::string> password_file_bytes{};  // written verbatim (e.g. `vncpasswd -f` output)
  std::vector<std::string> allow_users{};
  std::vector<std::string> allow_groups{};
  std::optional<bool> shared{};
  std::vector<std::string> extra_lines{};  // "key: value" under this target, e.g. "max_sessions: 1"
};

struct listener_spec {
  std::string security = "vencrypt";  // or "tls"
  std::optional<std::string> target{};
  bool allow_anonymous_tls = false;
  std::vector<std::string> extra_lines{};  // "key: value" under this listener, e.g. "deny_cidrs: [...]"
};

struct gateway_options {
  std::vector<listener_spec> listeners{listener_spec{}};
  std::string backend = "file";  // or "pam"
  std::string pam_service = "vncgw";
  std::vector<user_spec> users{};  // backend file
  std::vector<target_spec> targets{};
  std::string failure_delay = "100ms";
  std::string handshake_timeout = "2s";
  bool relative_paths = false;   // name files relative to the config file's directory
  bool end_revoked_sessions = true;
  std::vector<std::string> policy_lines{};  // "key: value" under policy:, e.g. "max_sessions: 2"
  std::vector<std::string> auth_lines{};    // "key: value" under auth:, e.g. "second_factor: totp"
  std::vector<std::string> tls_lines{};     // "key: value" under tls:, e.g. "client_ca: /path/ca.pem"
  std::vector<std::string> audit_lines{};   // more sinks after the audit file, e.g. "- type: stdout"
  std::vector<std::string> metrics_lines{}; // "key: value" under metrics:, after its address
  std::vector<std::string> top_lines{};     // top-level "key: value" lines; shutdown_grace is 0s unless set here
  env_list env{};                // extra environment (pam_wrapper)
  std::vector<std::string> args{};  // extra command-line arguments, e.g. {"--log-format", "json"}
};

class gateway {
 public:
  gateway(const temp_dir& dir, const certs& tls, gateway_options options);
  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  std::uint16_t port(std::size_t listener = 0) const { return ports_.at(listener); }
  std::uint16_t metrics_port() const noexcept { return metrics_port_; }
  pid_t pid() const noexcept { return server_->pid(); }
  const std::filesystem::path& config_path() const noexcept { return config_path_; }
  const audit_trail& audit() const noexcept { return audit_; }
  const gateway_options& options() const noexcept { return options_; }

  bool alive() { return server_->alive(); }
  int fd_count() const;
  std::string stderr_text() const { return server_->stderr_text(); }
  std::string stdout_text() const { return server_->stdout_text(); }
  // Rewrites the configuration for `options` (listener ports: the current ones, new
  // ones for extra listeners), sends SIGHUP and waits until the gateway logs the
  // result. True when it logged "configuration reloaded", false on "reload failed".
  bool reload(gateway_options options);
  // The same with `yaml` written verbatim as the configuration file (broken configs).
  bool reload_with_text(const std::string& yaml);

  // TERM and wait; returns the wait status.
  int stop() { return server_->terminate(); }
  // Sends `sig` (e.g. SIGTERM to start a drain, SIGUSR1) without waiting.
  void signal(int sig) { server_->signal(sig); }
  // The wait status once the process has exited within `timeout`.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout) { return server_->wait_for_exit(timeout); }
  // Process state, gateway stderr and the audit trail, to print when an assertion fails.
  std::string diagnostics();

 private:
  bool signal_reload();

  gateway_options options_;
  const temp_dir& temp_;
  certs tls_;
  std::filesystem::path dir_;
  std::filesystem::path config_path_;
  std::vector<std::uint16_t> ports_;
  std::uint16_t metrics_port_ = 0;
  audit_trail audit_;
  std::unique_ptr<process> server_;
  diagnostic_source diagnostics_source_{"vncgate", [this] { return diagnostics(); }};
};

// Path of the vncgate binary under test (compiled in; VNCGATE_BINARY in the environment overrides).
std::filesystem::path vncgate_binary();

// `vncgate hash-password` on `password`; throws when it does not print a crypt(3) hash.
std::string hash_password(const temp_dir& dir, const std::string& password);

// Writes config.yaml (+ users.yaml and secrets) for `options` into `gw_dir`; `ports` are
// the listener ports; with `metrics_port`, a metrics section listening there. Returns
// the config path. Used by gateway and by config tests.
std::filesystem::path write_gateway_config(const temp_dir& dir, const std::filesystem::path& gw_dir,
                                           const certs& tls, const gateway_options& options,
                                           const std::vector<std::uint16_t>& ports,
                                           std::optional<std::uint16_t> metrics_port = std::nullopt);

// Environment that runs a process under pam_wrapper with `service` backed by pam_matrix
// and a passdb of `users` (written under dir/pam). When `program` links libasan, the
// sanitizer runtime is preloaded first and DEEPBIND disabled, as ASan requires.
// `more_auth` ("required /path/module.so args") follow pam_matrix in the auth stack.
env_list pam_wrapper_env(const temp_dir& dir, const std::string& service, const std::vector<user_spec>& users,
                         const std::filesystem::path& program, const std::vector<std::string>& more_auth = {});

}  // namespace vncgate::e2e
