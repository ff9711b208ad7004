// session_record.hpp — what happened to one connection, from accept to close.
//
// Every accepted connection has exactly one record; finish() writes the closing
// `session_end` audit line (its destructor does it if nobody did, as `internal_error`),
// so no path ends a session without an outcome, and counts it in the metrics: the
// outcome, and for a session that relayed, its end in vncgate_sessions_active and its
// length. Owned by the session coroutine.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "gateway/audit.hpp"
#include "gateway/metrics.hpp"

namespace vncgate::gateway {

enum class outcome {
  ok,                    // relayed until one side closed
  client_closed,         // the client left during the handshake
  protocol_error,        // malformed or hostile bytes from the client
  no_common_security,    // the client wanted a security type we do not offer
  tls_failed,            // TLS handshake with the client failed
  certificate_refused,   // the client certificate was missing, not verified or named no user
  handshake_timeout,     // not through the handshake in time
  auth_failed,           // wrong password or unknown user (one answer for both)
  auth_error,            // the authentication backend itself failed
  locked_out,            // too many failures: refused without asking the backend
  not_allowed,           // authenticated, but not to this (or any) target
  session_limit,         // a cap on concurrent sessions (global, user, target) is full
  upstream_unavailable,  // the target did not answer or spoke no usable RFB
  upstream_auth_failed,  // the target refused the gateway's credentials
  upstream_error,        // the target broke the protocol or closed mid-handshake
  access_revoked,        // a reload took the user's right to the target away
  idle_timeout,          // no input from the client for policy.idle_timeout
  max_session,           // the session reached policy.max_session
  internal_error,        // a bug: an exception reached the session boundary
  shutdown,              // the gateway is stopping
  ended_by_admin,        // an administrator ended it through the admin API
};

std::string_view to_string(outcome o) noexcept;

class session_record {
 public:
  // `source` is the client ("192.0.2.1:40000"); `proxy` the load balancer whose PROXY
  // header named it, empty for a direct connection.
  session_record(audit_log& audit, metrics& stats, std::string id, std::string source, std::string proxy,
                 std::string listener);
  ~session_record();
  session_record(const session_record&) = delete;
  session_record& operator=(const session_record&) = delete;

  const std::string& id() const noexcept { return id_; }
  const std::string& source() const noexcept { return source_; }
  const std::string& proxy() const noexcept { return proxy_; }
  const std::string& listener() const noexcept { return listener_; }
  // When the connection was accepted (wall clock, for the admin API).
  std::chrono::system_clock::time_point started_at() const noexcept { return started_at_; }

  // Sets the outcome unless one is set already: the first cause wins.
  void set_outcome(outcome o, std::string reason);
  bool has_outcome() const noexcept { return has_outcome_; }

  void set_user(std::string user) { user_ = std::move(user); }
  void set_target(std::string target) { target_ = std::move(target); }
  const std::string& user() const noexcept { return user_; }
  const std::string& target() const noexcept { return target_; }

  std::uint64_t bytes_from_client = 0;
  std::uint64_t bytes_to_client = 0;
  // How target->client bytes moved ("copy", "splice", "ktls") and how client->target
  // bytes did ("copy" through the message filter, "splice" once no rule needs it); empty
  // until the relay starts.
  std::string relay_path;
  std::string to_target_path;
  // Set when the message filter enforces a right (view-only, block_paste): the messages
  // it dropped, written in session_end.
  bool filtered = false;
  std::uint64_t input_dropped = 0;
  std::uint64_t paste_dropped = 0;

  // The session relays to target() from now on: counted active until finish().
  void relay_started();

  void audit(boost::json::object record);  // adds "session"
  void finish() noexcept;                  // writes session_end once

 private:
  audit_log& audit_;
  metrics& stats_;
  prometheus::Gauge* active_ = nullptr;  // set while counted in vncgate_sessions_active
  std::chrono::steady_clock::time_point relay_start_{};
  std::string id_, source_, proxy_, listener_, user_, target_, reason_;
  outcome outcome_ = outcome::internal_error;
  bool has_outcome_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point started_at_ = std::chrono::system_clock::now();
};

}  // namespace vncgate::gateway
