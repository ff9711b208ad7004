// gateway_metrics_test.cpp — the metrics registry and its exposition: exact lines for
// known increments, label values escaped, histogram buckets cumulative up to +Inf, label
// order fixed, label values bounded to their lists, the active-session gauge and the
// config info series.
#include <openssl/crypto.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/metrics.hpp"

using namespace vncgate::gateway;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text))
    if (l == line) return true;
  return false;
}

// The lines that start with `prefix`, in order.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& l : lines_of(text))
    if (l.starts_with(prefix)) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("metrics: counters appear as exact lines with HELP and TYPE", "[gateway]") {
  metrics m("1.2.3");
  m.connection_accepted("127.0.0.1:5900");
  m.connection_accepted("127.0.0.1:5900");
  m.connection_accepted("[::1]:5901");
  m.connection_refused("127.0.0.1:5900", "rate_limited");
  m.authentication(auth_backend_kind::file, factor_kind::password, "ok");
  m.authentication(auth_backend_kind::file, factor_kind::password, "rejected");
  m.authentication(auth_backend_kind::file, factor_kind::password, "rejected");
  m.authentication(auth_backend_kind::pam, factor_kind::totp, "replayed");
  m.lockout("user_source");
  m.handshake(listener_security::tls, false);
  m.tls_handshake_failed(listener_security::tls);
  m.relayed_bytes(relay_direction::target_to_client, relay_path::copy).Increment(1000);
  m.relayed_bytes(relay_direction::client_to_target, relay_path::copy).Increment(17);
  const auto text = m.text();
  INFO(text);
  CHECK(has_line(text, "# HELP vncgate_connections_accepted_total Connections accepted and admitted, by listener address."));
  CHECK(has_line(text, "# TYPE vncgate_connections_accepted_total counter"));
  CHECK(has_line(text, "vncgate_connections_accepted_total{listener=\"127.0.0.1:5900\"} 2"));
  CHECK(has_line(text, "vncgate_connections_accepted_total{listener=\"[::1]:5901\"} 1"));
  CHECK(has_line(text, "vncgate_connections_refused_total{listener=\"127.0.0.1:5900\",reason=\"rate_limited\"} 1"));
  CHECK(has_line(text, "# TYPE vncgate_authentications_total counter"));
  CHECK(has_line(text, "vncgate_authentications_total{backend=\"file\",factor=\"password\",result=\"ok\"} 1"));
  CHECK(has_line(text, "vncgate_authentications_total{backend=\"file\",factor=\"password\",result=\"rejected\"} 2"));
  CHECK(has_line(text, "vncgate_authentications_total{backend=\"pam\",factor=\"password\",result=\"rejected\"} 0"));
  CHECK(has_line(text, "vncgate_authentications_total{backend=\"pam\",factor=\"totp\",result=\"replayed\"} 1"));
  CHECK(has_line(text, "vncgate_lockouts_total{key=\"user_source\"} 1"));
  CHECK(has_line(text, "vncgate_lockouts_total{key=\"user\"} 0"));
  CHECK(has_line(text, "vncgate_handshakes_total{result=\"failed\",security=\"tls\"} 1"));
  CHECK(has_line(text, "vncgate_handshakes_total{result=\"ok\",security=\"vencrypt\"} 0"));
  CHECK(has_line(text, "vncgate_tls_handshake_failures_total{security=\"tls\"} 1"));
  CHECK(has_line(text, "vncgate_relayed_bytes_total{direction=\"target_to_client\",path=\"copy\"} 1000"));
  CHECK(has_line(text, "vncgate_relayed_bytes_total{direction=\"client_to_target\",path=\"copy\"} 17"));
  CHECK(has_line(text, "vncgate_relayed_bytes_total{direction=\"client_to_target\",path=\"splice\"} 0"));
  CHECK(has_line(text, "vncgate_build_info{openssl=\"" + std::string(OpenSSL_version(OPENSSL_VERSION_STRING)) +
                           "\",version=\"1.2.3\"} 1"));
  // Nothing of what was never counted is made up.
  CHECK(lines_starting(text, "vncgate_sessions_total{").empty());
}

TEST_CASE("metrics: label values are escaped", "[gateway]") {
  metrics m("1");
  m.session_started("a\"b\\c\nd");
  const auto text = m.text();
  INFO(text);
  CHECK(has_line(text, "vncgate_sessions_active{target=\"a\\\"b\\\\c\\nd\"} 1"));
  // The raw newline never reaches the text: every line is a comment or a sample.
  for (const auto& l : lines_of(text)) CHECK((l.starts_with("#") || l.starts_with("vncgate_")));
}

TEST_CASE("metrics: histogram buckets are cumulative and end with +Inf", "[gateway]") {
  metrics m("1");
  m.upstream_connected("desk", 700us);
  m.upstream_connected("desk", 3ms);
  m.upstream_connected("desk", 20s);
  const auto text = m.text();
  INFO(text);
  const auto buckets = lines_starting(text, "vncgate_upstream_connect_duration_seconds_bucket{target=\"desk\",le=");
  REQUIRE(buckets.size() == 15);  // 14 bounds and +Inf
  CHECK(buckets.front() == "vncgate_upstream_connect_duration_seconds_bucket{target=\"desk\",le=\"0.0005\"} 0");
  CHECK(buckets[1] == "vncgate_upstream_connect_duration_seconds_bucket{target=\"desk\",le=\"0.001\"} 1");
  CHECK(buckets[2] == "vncgate_upstream_connect_duration_seconds_bucket{target=\"desk\",le=\"0.0025\"} 1");
  CHECK(buckets[3] == "vncgate_upstream_connect_duration_seconds_bucket{target=\"desk\",le=\"0.005\"} 2");
  CHECK(buckets[13] == "vncgate_upstream_connect_duration_seconds_bucket{target=\"desk\",le=\"10\"} 2");
  CHECK(buckets.back() == "vncgate_upstream_connect_duration_seconds_bucket{target=\"desk\",le=\"+Inf\"} 3");
  CHECK(has_line(text, "vncgate_upstream_connect_duration_seconds_count{target=\"desk\"} 3"));
  CHECK(has_line(text, "vncgate_upstream_connect_duration_seconds_sum{target=\"desk\"} 20.0037"));
  // Cumulative: never decreasing.
  double last = 0;
  for (const auto& b : buckets) {
    double v = std::stod(b.substr(b.rfind(' ') + 1));
    CHECK(v >= last);
    last = v;
  }
}

TEST_CASE("metrics: labels come out in one fixed order, whatever the insertion order", "[gateway]") {
  metrics a("1"), b("1");
  a.connection_refused("l1", "address_denied");
  a.connection_refused("l2", "rate_limited");
  b.connection_refused("l2", "rate_limited");
  b.connection_refused("l1", "address_denied");
  const auto ta = a.text(), tb = b.text();
  CHECK(lines_starting(ta, "vncgate_connections_refused_total{") ==
        std::vector<std::string>{"vncgate_connections_refused_total{listener=\"l1\",reason=\"address_denied\"} 1",
                                 "vncgate_connections_refused_total{listener=\"l2\",reason=\"rate_limited\"} 1"});
  CHECK(lines_starting(tb, "vncgate_connections_refused_total{") ==
        lines_starting(ta, "vncgate_connections_refused_total{"));
  CHECK(a.text() == ta);  // a second scrape of the same state is the same text
}

TEST_CASE("metrics: label values a peer could influence are bounded to their lists", "[gateway]") {
  metrics m("1");
  m.connection_refused("l", "evil\"reason");
  m.lockout("whatever");
  m.authentication(auth_backend_kind::file, factor_kind::totp, "x-user-typed-this");
  m.upstream_connect_failed("desk", "no such step");
  m.upstream_connect_failed("desk", "timeout");
  const auto text = m.text();
  INFO(text);
  CHECK(has_line(text, "vncgate_connections_refused_total{listener=\"l\",reason=\"other\"} 1"));
  CHECK(has_line(text, "vncgate_lockouts_total{key=\"other\"} 1"));
  CHECK(has_line(text, "vncgate_authentications_total{backend=\"file\",factor=\"totp\",result=\"other\"} 1"));
  CHECK(has_line(text, "vncgate_upstream_connect_failures_total{reason=\"other\",target=\"desk\"} 1"));
  CHECK(has_line(text, "vncgate_upstream_connect_failures_total{reason=\"timeout\",target=\"desk\"} 1"));
  CHECK(text.find("evil") == std::string::npos);
  CHECK(text.find("x-user") == std::string::npos);
}

TEST_CASE("metrics: a session is active from its start until it ends, whatever the outcome", "[gateway]") {
  metrics m("1");
  auto& one = m.session_started("desk");
  auto& two = m.session_started("desk");
  CHECK(has_line(m.text(), "vncgate_sessions_active{target=\"desk\"} 2"));
  m.session_ended("ok", &one, "desk", 90s);
  m.session_ended("idle_timeout", &two, "desk", 5s);
  m.session_ended("auth_failed", nullptr, "", 0s);  // never relayed: counted, not timed
  const auto text = m.text();
  INFO(text);
  CHECK(has_line(text, "vncgate_sessions_active{target=\"desk\"} 0"));
  CHECK(has_line(text, "vncgate_sessions_total{outcome=\"ok\"} 1"));
  CHECK(has_line(text, "vncgate_sessions_total{outcome=\"idle_timeout\"} 1"));
  CHECK(has_line(text, "vncgate_sessions_total{outcome=\"auth_failed\"} 1"));
  CHECK(has_line(text, "vncgate_session_duration_seconds_count{target=\"desk\"} 2"));
  CHECK(has_line(text, "vncgate_session_duration_seconds_bucket{target=\"desk\",le=\"10\"} 1"));
  CHECK(has_line(text, "vncgate_session_duration_seconds_bucket{target=\"desk\",le=\"60\"} 1"));
  CHECK(has_line(text, "vncgate_session_duration_seconds_bucket{target=\"desk\",le=\"300\"} 2"));
  CHECK(lines_starting(text, "vncgate_session_duration_seconds_count{target=\"\"}").empty());
}

TEST_CASE("metrics: the config info series names only the configuration in use", "[gateway]") {
  metrics m("1");
  m.config_loaded("aaaa", false);
  auto text = m.text();
  CHECK(has_line(text, "vncgate_config_info{sha256=\"aaaa\"} 1"));
  CHECK(has_line(text, "vncgate_config_reloads_total{result=\"success\"} 0"));
  CHECK(lines_starting(text, "vncgate_config_last_reload_success_timestamp_seconds ").size() == 1);
  m.config_reload_failed();
  m.config_loaded("bbbb", true);
  text = m.text();
  INFO(text);
  CHECK(has_line(text, "vncgate_config_info{sha256=\"bbbb\"} 1"));
  CHECK(lines_starting(text, "vncgate_config_info{").size() == 1);
  CHECK(has_line(text, "vncgate_config_reloads_total{result=\"success\"} 1"));
  CHECK(has_line(text, "vncgate_config_reloads_total{result=\"failure\"} 1"));
}
