// metrics.hpp — the gateway's Prometheus metrics: one object for the process.
//
// Owns a prometheus::Registry (prometheus-cpp) and every metric family, declared in one
// list in metrics.cpp; text() serializes them in the text format 0.0.4 for the admin
// listener. Label values come only from fixed lists in the code (refusal reasons,
// outcomes, factor results, directions) or from the configuration (listener addresses,
// target names, the backend): nothing a client types becomes a label, so the number of
// series is bounded by the configuration. User names are never labels.
//
// Authentication results per factor are counted by auth_counters (one per backend,
// owned here) and exposed from them at scrape time: they stay the one source of truth.
//
// Thread-safe: any thread may count (prometheus-cpp counters are atomic; adding a new
// label set takes the family's lock). Not blocking beyond that lock. Lives in main and
// outlives the server and every session (reached through `services`).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "gateway/auth_counters.hpp"
#include "gateway/config.hpp"

namespace vncgate::gateway {

enum class relay_direction { client_to_target, target_to_client };
// How bytes cross the gateway: through a user-space buffer (copy; TLS in user space),
// socket to socket with splice(2) on a plaintext leg (splice), or spliced into a socket
// whose TLS the kernel does (ktls).
enum class relay_path { copy, splice, ktls };
inline constexpr std::size_t relay_path_count = 3;
std::string_view to_string(relay_direction d) noexcept;
std::string_view to_string(relay_path p) noexcept;  // the `path` label and the audit's relay_path

class metrics {
 public:
  explicit metrics(std::string_view version);
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  // Accept: `listener` is the configured address; `reason` the admission's audit word
  // (address_denied, rate_limited, too_many_handshakes).
  void connection_accepted(std::string_view listener);
  void connection_refused(std::string_view listener, std::string_view reason);
  void accept_error(std::string_view listener);

  // The client handshake (version, security, TLS, credentials) on a listener of `security`.
  void handshake(listener_security security, bool ok);
  void tls_handshake_failed(listener_security security);

  // One factor of one login: `result` from auth_counters::results(f) ("other" otherwise).
  void authentication(auth_backend_kind backend, factor_kind f, std::string_view result);
  void lockout(std::string_view key);  // policy::to_string(lockout key): user, source, ...

  // Upstream: connect time of a successful connect; a failed one by reason
  // (timeout, resolve, connect).
  void upstream_connected(std::string_view target, std::chrono::steady_clock::duration took);
  void upstream_connect_failed(std::string_view target, std::string_view reason);

  // Sessions: a session relaying to `target` is active until session_ended; every
  // session (relayed or refused) ends once with its outcome name.
  prometheus::Gauge& session_started(std::string_view target);
  void session_ended(std::string_view outcome, prometheus::Gauge* active, std::string_view target,
                     std::chrono::steady_clock::duration relayed_for);
  // The counter for relayed bytes in one direction on one path (stable reference).
  prometheus::Counter& relayed_bytes(relay_direction d, relay_path p) noexcept;

  // Configuration: loaded at start or by a successful reload, or a reload that failed.
  void config_loaded(std::string_view sha256, bool by_reload);
  void config_reload_failed();

  // The admin listener: a request answered with `status` on `endpoint` (metrics,
  // healthz, readyz, sessions, session, reload, other); a connection over its cap.
  void admin_request(std::string_view endpoint, unsigned status);
  void admin_connection_refused();

  // Audit sinks: the series of one sink, `sink` its configured label ("file:/path",
  // "stdout", "syslog:/dev/log"), created at 0 (audit_log sets `up`). References stay valid for the
  // process's life; audit_log counts into them from its writer and callers' threads.
  struct audit_sink_series {
    prometheus::Counter& dropped;  // records this sink never got (queue full, write failed)
    prometheus::Counter& errors;   // failed writes to this sink
    prometheus::Gauge& up;         // 1 while its last write worked, 0 while it fails
  };
  audit_sink_series audit_sink(std::string_view sink);

  // Everything, in the Prometheus text format 0.0.4.
  std::string text() const;

  const auth_counters& authentications(auth_backend_kind backend) const noexcept;

 private:
  prometheus::Registry registry_;
  prometheus::Family<prometheus::Counter>& accepted_;
  prometheus::Family<prometheus::Counter>& refused_;
  prometheus::Family<prometheus::Counter>& accept_errors_;
  prometheus::Family<prometheus::Counter>& handshakes_;
  prometheus::Family<prometheus::Counter>& tls_failures_;
  prometheus::Family<prometheus::Counter>& lockouts_;
  prometheus::Family<prometheus::Histogram>& upstream_connect_;
  prometheus::Family<prometheus::Counter>& upstream_failures_;
  prometheus::Family<prometheus::Gauge>& sessions_active_;
  prometheus::Family<prometheus::Counter>& sessions_;
  prometheus::Family<prometheus::Histogram>& session_duration_;
  prometheus::Family<prometheus::Counter>& relayed_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Family<prometheus::Gauge>& last_reload_;
  prometheus::Family<prometheus::Gauge>& config_info_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Counter>& admin_requests_;
  prometheus::Family<prometheus::Counter>& admin_refused_;
  prometheus::Family<prometheus::Counter>& audit_dropped_;
  prometheus::Family<prometheus::Counter>& audit_errors_;
  prometheus::Family<prometheus::Gauge>& audit_up_;
  std::array<prometheus::Counter*, 2 * relay_path_count> relayed_by_path_{};  // [direction * count + path]
  std::array<auth_counters, 2> auth_{};                    // by auth_backend_kind

  std::mutex config_mutex_;
  prometheus::Gauge* config_info_current_ = nullptr;
};

}  // namespace vncgate::gateway
