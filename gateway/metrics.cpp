#include "gateway/metrics.hpp"

#include <openssl/crypto.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <span>

namespace vncgate::gateway {
namespace {

namespace pm = prometheus;

// Connecting on loopback or a LAN takes well under a millisecond; a slow WAN or a
// target that drops SYNs takes seconds.
const pm::Histogram::BucketBoundaries connect_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,    0.25,  0.5,    1,     2.5,  5,     10};
// Sessions last from seconds (a refusal after relaying starts) to a working day.
const pm::Histogram::BucketBoundaries session_buckets{1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800};

constexpr std::string_view backend_names[] = {"pam", "file"};  // by auth_backend_kind
constexpr std::string_view refusal_reasons[] = {"address_denied",        "rate_limited",          "too_many_handshakes",
                                               "proxy_untrusted",       "proxy_header_missing",  "proxy_header_invalid",
                                               "proxy_header_too_long", "proxy_header_truncated", "proxy_header_timeout"};
constexpr std::string_view lock_keys[] = {"source", "user_source", "user"};
constexpr std::string_view connect_failures[] = {"timeout", "resolve", "connect"};
constexpr std::string_view admin_endpoints[] = {"metrics", "healthz", "readyz", "sessions", "session", "reload"};

// A label value from a fixed list, "other" for anything else: no caller can widen a label.
std::string bounded(std::string_view value, std::span<const std::string_view> allowed) {
  for (auto a : allowed)
    if (a == value) return std::string(value);
  return "other";
}

template <class Builder>
auto& family(Builder&& b, std::string_view name, std::string_view help, pm::Registry& r) {
  return b.Name(std::string(name)).Help(std::string(help)).Register(r);
}

}  // namespace

metrics::metrics(std::string_view version)
    : accepted_(family(pm::BuildCounter(), "vncgate_connections_accepted_total",
                       "Connections accepted and admitted, by listener address.", registry_)),
      refused_(family(pm::BuildCounter(), "vncgate_connections_refused_total",
                      "Connections refused at accept, by listener address and reason.", registry_)),
      accept_errors_(family(pm::BuildCounter(), "vncgate_accept_errors_total",
                            "Failed accept calls (EMFILE and the like), by listener address.", registry_)),
      handshakes_(family(pm::BuildCounter(), "vncgate_handshakes_total",
                         "Client handshakes (RFB, VeNCrypt, TLS, credentials) by listener security and result.",
                         registry_)),
      tls_failures_(family(pm::BuildCounter(), "vncgate_tls_handshake_failures_total",
                           "TLS handshakes with clients that failed, by listener security.", registry_)),
      lockouts_(family(pm::BuildCounter(), "vncgate_lockouts_total",
                       "Lockouts started after repeated authentication failures, by lockout key.", registry_)),
      upstream_connect_(family(pm::BuildHistogram(), "vncgate_upstream_connect_duration_seconds",
                               "Time to connect to a target desktop, by target.", registry_)),
      upstream_failures_(family(pm::BuildCounter(), "vncgate_upstream_connect_failures_total",
                                "Failed connections to a target desktop, by target and reason.", registry_)),
      sessions_active_(family(pm::BuildGauge(), "vncgate_sessions_active",
                              "Sessions relaying now, by target.", registry_)),
      sessions_(family(pm::BuildCounter(), "vncgate_sessions_total",
                       "Ended sessions (every accepted connection), by outcome.", registry_)),
      session_duration_(family(pm::BuildHistogram(), "vncgate_session_duration_seconds",
                               "How long relayed sessions lasted, from relay start to end, by target.", registry_)),
      relayed_(family(pm::BuildCounter(), "vncgate_relayed_bytes_total",
                      "Bytes relayed between clients and targets, by direction and relay path.", registry_)),
      reloads_(family(pm::BuildCounter(), "vncgate_config_reloads_total",
                      "Configuration reloads (SIGHUP), by result.", registry_)),
      last_reload_(family(pm::BuildGauge(), "vncgate_config_last_reload_success_timestamp_seconds",
                          "When the configuration in use was loaded (Unix time).", registry_)),
      config_info_(family(pm::BuildGauge(), "vncgate_config_info",
                          "The configuration in use: SHA-256 of the file's bytes.", registry_)),
      build_info_(family(pm::BuildGauge(), "vncgate_build_info", "The vncgate version and the OpenSSL it runs with.",
                         registry_)),
      admin_requests_(family(pm::BuildCounter(), "vncgate_admin_requests_total",
                             "Requests to the admin listener, by endpoint and HTTP status code.", registry_)),
      admin_refused_(family(pm::BuildCounter(), "vncgate_admin_connections_refused_total",
                            "Admin connections closed at accept: metrics.max_connections were open.", registry_)),
      audit_dropped_(family(pm::BuildCounter(), "vncgate_audit_records_dropped_total",
                            "Audit records a sink never got (queue full or write failed), by sink.", registry_)),
      audit_errors_(family(pm::BuildCounter(), "vncgate_audit_sink_errors_total",
                           "Failed writes to an audit sink, by sink.", registry_)),
      audit_up_(family(pm::BuildGauge(), "vncgate_audit_sink_up",
                       "1 while an audit sink's last write worked, 0 while it fails, by sink.", registry_)) {
  admin_refused_.Add({});
  build_info_.Add({{"version", std::string(version)}, {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)}}).Set(1);
  {
    std::size_t k = 0;
    for (auto d : {relay_direction::client_to_target, relay_direction::target_to_client})
      for (auto p : {relay_path::copy, relay_path::splice, relay_path::ktls})
        relayed_by_path_[k++] = &relayed_.Add({{"direction", std::string(to_string(d))}, {"path", std::string(to_string(p))}});
  }
  // The fixed series start at 0, so a rate() sees the first event.
  for (auto s : {"vencrypt", "tls", "plain"}) {
    handshakes_.Add({{"security", s}, {"result", "ok"}});
    handshakes_.Add({{"security", s}, {"result", "failed"}});
  }
  for (auto s : {"vencrypt", "tls"}) tls_failures_.Add({{"security", s}});
  for (auto k : lock_keys) lockouts_.Add({{"key", std::string(k)}});
  for (auto r : {"success", "failure"}) reloads_.Add({{"result", r}});
}

void metrics::connection_accepted(std::string_view listener) {
  accepted_.Add({{"listener", std::string(listener)}}).Increment();
}

void metrics::connection_refused(std::string_view listener, std::string_view reason) {
  refused_.Add({{"listener", std::string(listener)}, {"reason", bounded(reason, refusal_reasons)}}).Increment();
}

void metrics::accept_error(std::string_view listener) {
  accept_errors_.Add({{"listener", std::string(listener)}}).Increment();
}

void metrics::handshake(listener_security security, bool ok) {
  handshakes_.Add({{"security", std::string(to_string(security))}, {"result", ok ? "ok" : "failed"}}).Increment();
}

void metrics::tls_handshake_failed(listener_security security) {
  tls_failures_.Add({{"security", std::string(to_string(security))}}).Increment();
}

void metrics::authentication(auth_backend_kind backend, factor_kind f, std::string_view result) {
  auth_[static_cast<std::size_t>(backend)].count(f, result);
}

const auth_counters& metrics::authentications(auth_backend_kind backend) const noexcept {
  return auth_[static_cast<std::size_t>(backend)];
}

void metrics::lockout(std::string_view key) { lockouts_.Add({{"key", bounded(key, lock_keys)}}).Increment(); }

void metrics::upstream_connected(std::string_view target, std::chrono::steady_clock::duration took) {
  upstream_connect_.Add({{"target", std::string(target)}}, connect_buckets)
      .Observe(std::chrono::duration<double>(took).count());
}

void metrics::upstream_connect_failed(std::string_view target, std::string_view reason) {
  upstream_failures_.Add({{"target", std::string(target)}, {"reason", bounded(reason, connect_failures)}})
      .Increment();
}

prometheus::Gauge& metrics::session_started(std::string_view target) {
  auto& g = sessions_active_.Add({{"target", std::string(target)}});
  g.Increment();
  return g;
}

void metrics::session_ended(std::string_view outcome, prometheus::Gauge* active, std::string_view target,
                            std::chrono::steady_clock::duration relayed_for) {
  sessions_.Add({{"outcome", std::string(outcome)}}).Increment();
  if (!active) return;
  active->Decrement();
  session_duration_.Add({{"target", std::string(target)}}, session_buckets)
      .Observe(std::chrono::duration<double>(relayed_for).count());
}

std::string_view to_string(relay_direction d) noexcept {
  return d == relay_direction::client_to_target ? "client_to_target" : "target_to_client";
}

std::string_view to_string(relay_path p) noexcept {
  switch (p) {
    case relay_path::copy: return "copy";
    case relay_path::splice: return "splice";
    case relay_path::ktls: return "ktls";
  }
  return "copy";
}

prometheus::Counter& metrics::relayed_bytes(relay_direction d, relay_path p) noexcept {
  return *relayed_by_path_[static_cast<std::size_t>(d) * relay_path_count + static_cast<std::size_t>(p)];
}

void metrics::config_loaded(std::string_view sha256, bool by_reload) {
  std::lock_guard lock(config_mutex_);
  if (by_reload) reloads_.Add({{"result", "success"}}).Increment();
  if (config_info_current_) config_info_.Remove(config_info_current_);
  config_info_current_ = &config_info_.Add({{"sha256", std::string(sha256)}});
  config_info_current_->Set(1);
  last_reload_.Add({}).SetToCurrentTime();
}

void metrics::config_reload_failed() { reloads_.Add({{"result", "failure"}}).Increment(); }

void metrics::admin_request(std::string_view endpoint, unsigned status) {
  // The status codes the admin listener answers with are few (200, 401, 403, 404, ...).
  admin_requests_.Add({{"endpoint", bounded(endpoint, admin_endpoints)}, {"code", std::to_string(status)}})
      .Increment();
}

void metrics::admin_connection_refused() { admin_refused_.Add({}).Increment(); }

metrics::audit_sink_series metrics::audit_sink(std::string_view sink) {
  const std::map<std::string, std::string> label{{"sink", std::string(sink)}};
  return {audit_dropped_.Add(label), audit_errors_.Add(label), audit_up_.Add(label)};
}

std::string metrics::text() const {
  auto families = registry_.Collect();
  // Authentication results live in auth_counters; exposed as they stand at the scrape.
  pm::MetricFamily auth{"vncgate_authentications_total",
                        "Authentication factor checks, by backend, factor and result.", pm::MetricType::Counter, {}};
  for (std::size_t b = 0; b < auth_.size(); ++b) {
    for (auto f : all_factor_kinds) {
      for (auto result : auth_counters::results(f)) {
        pm::ClientMetric m;
        m.label = {{"backend", std::string(backend_names[b])},
                   {"factor", std::string(to_string(f))},
                   {"result", std::string(result)}};
        m.counter.value = static_cast<double>(auth_[b].value(f, result));
        auth.metric.push_back(std::move(m));
      }
    }
  }
  families.push_back(std::move(auth));
  // prometheus-cpp keeps a family's series in a hash map: sorted by their labels, every
  // scrape lists them in the same order whatever order they were first counted in.
  for (auto& f : families)
    std::stable_sort(f.metric.begin(), f.metric.end(),
                     [](const pm::ClientMetric& x, const pm::ClientMetric& y) { return x.label < y.label; });
  return pm::TextSerializer().Serialize(families);
}

}  // namespace vncgate::gateway
