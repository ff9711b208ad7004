#include "gateway/session_record.hpp"

#include "gateway/log.hpp"

namespace vncgate::gateway {

std::string_view to_string(outcome o) noexcept {
  switch (o) {
    case outcome::ok: return "ok";
    case outcome::client_closed: return "client_closed";
    case outcome::protocol_error: return "protocol_error";
    case outcome::no_common_security: return "no_common_security";
    case outcome::tls_failed: return "tls_failed";
    case outcome::certificate_refused: return "certificate_refused";
    case outcome::handshake_timeout: return "handshake_timeout";
    case outcome::auth_failed: return "auth_failed";
    case outcome::auth_error: return "auth_error";
    case outcome::not_allowed: return "not_allowed";
    case outcome::upstream_unavailable: return "upstream_unavailable";
    case outcome::upstream_auth_failed: return "upstream_auth_failed";
    case outcome::upstream_error: return "upstream_error";
    case outcome::access_revoked: return "access_revoked";
    case outcome::locked_out: return "locked_out";
    case outcome::session_limit: return "session_limit";
    case outcome::idle_timeout: return "idle_timeout";
    case outcome::max_session: return "max_session";
    case outcome::internal_error: return "internal_error";
    case outcome::shutdown: return "shutdown";
    case outcome::ended_by_admin: return "ended_by_admin";
  }
  return "internal_error";
}

session_record::session_record(audit_log& audit, metrics& stats, std::string id, std::string source,
                               std::string proxy, std::string listener)
    : audit_(audit),
      stats_(stats),
      id_(std::move(id)),
      source_(std::move(source)),
      proxy_(std::move(proxy)),
      listener_(std::move(listener)) {
  boost::json::object r{{"event", "connection_accepted"}, {"source", source_}, {"listener", listener_}};
  if (!proxy_.empty()) r.emplace("proxy", proxy_);
  this->audit(std::move(r));
}

session_record::~session_record() {
  // Only a session destroyed unfinished (its io_context torn down) gets here without one.
  if (!has_outcome_) set_outcome(outcome::shutdown, "the gateway stopped");
  finish();
}

void session_record::set_outcome(outcome o, std::string reason) {
  if (has_outcome_) return;
  has_outcome_ = true;
  outcome_ = o;
  reason_ = std::move(reason);
}

void session_record::relay_started() {
  if (active_) return;
  active_ = &stats_.session_started(target_);
  relay_start_ = std::chrono::steady_clock::now();
}

void session_record::audit(boost::json::object record) {
  record.emplace("session", id_);
  audit_.write(record);
}

void session_record::finish() noexcept {
  if (finished_) return;
  finished_ = true;
  try {
    stats_.session_ended(to_string(outcome_), active_, target_, std::chrono::steady_clock::now() - relay_start_);
    active_ = nullptr;
  } catch (...) {
    log(log_level::error, id_, "could not count the session's end");
  }
  try {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_);
    boost::json::object r{{"event", "session_end"},
                          {"outcome", to_string(outcome_)},
                          {"reason", reason_},
                          {"source", source_},
                          {"bytes_from_client", bytes_from_client},
                          {"bytes_to_client", bytes_to_client},
                          {"duration_ms", elapsed.count()}};
    if (!proxy_.empty()) r.emplace("proxy", proxy_);
    if (!user_.empty()) r.emplace("user", user_);
    if (!target_.empty()) r.emplace("target", target_);
    if (!relay_path.empty()) r.emplace("relay_path", relay_path);
    if (!to_target_path.empty()) r.emplace("to_target_path", to_target_path);
    if (filtered) {
      r.emplace("input_dropped", input_dropped);
      r.emplace("paste_dropped", paste_dropped);
    }
    audit(std::move(r));
    log(outcome_ == outcome::ok ? log_level::info : log_level::warning, id_,
        "session ended: " + std::string(to_string(outcome_)) + (reason_.empty() ? "" : " (" + reason_ + ")"));
  } catch (...) {
    log(log_level::error, id_, "could not write the session_end record");
  }
}

}  // namespace vncgate::gateway
