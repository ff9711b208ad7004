// metrics_test.cpp — the admin listener of the real gateway: /metrics after a scripted
// run of good and refused sessions has the exact counts, passes `promtool check
// metrics`, and a real Prometheus server scraping it answers PromQL with the session
// count; /healthz, /readyz, 404 and 405.
#include <openssl/crypto.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "harness/http_get.hpp"
#include "harness/loopback.hpp"
#include "harness/prometheus_server.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

std::string scrape(const gateway& gw) {
  auto reply = http_get(gw.metrics_port(), "/metrics");
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  return reply.body;
}

std::string config_sha256(const gateway& gw) {
  auto text = read_text(gw.config_path());
  return sha256_hex(std::vector<std::uint8_t>(text.begin(), text.end()));
}

}  // namespace

TEST_CASE("metrics: /metrics counts a scripted run exactly and passes promtool", "[e2e][metrics]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice, bob}, .targets = {target_for(s.desk, "desk", {"alice"})},
                            .policy_lines = {"deny_cidrs: [127.0.0.2/32]"}});
  const std::string listener = "listener=\"127.0.0.1:" + std::to_string(gw.port()) + "\"";

  // The endpoints beside /metrics.
  auto health = http_get(gw.metrics_port(), "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  auto ready = http_get(gw.metrics_port(), "/readyz");
  CHECK(ready.status == 200);
  CHECK(http_get(gw.metrics_port(), "/nothing-here").status == 404);
  CHECK(http_request(gw.metrics_port(), "POST", "/metrics").status == 405);

  // Nothing happened yet: the fixed series are there at 0.
  auto before = scrape(gw);
  CHECK(metric_value(before, "vncgate_sessions_total{outcome=\"ok\"}") == std::nullopt);
  CHECK(metric_value(before, "vncgate_handshakes_total{result=\"ok\",security=\"vencrypt\"}") == 0);
  CHECK(metric_value(before, "vncgate_config_info{sha256=\"" + config_sha256(gw) + "\"}") == 1);
  CHECK(metric_value(before, "vncgate_build_info{openssl=\"" + std::string(OpenSSL_version(OPENSSL_VERSION_STRING)) +
                             "\",version=\"" VNCGATE_VERSION "\"}") == 1);

  // Two good sessions, a wrong password, a refused address.
  std::vector<std::string> sources;
  for (int i = 0; i < 2; ++i) sources.push_back(require_frame(gw.port(), login_as(alice, s.tls), 320, 240).source());
  auto wrong = vnc_connect(gw.port(), {"alice", "not-her-password", s.tls.certificate});
  CHECK_FALSE(wrong.connected);
  check_session_outcome(gw, wrong.source(), "auth_failed");
  {
    raw_client denied(gw.port(), 5s, "127.0.0.2");
    check_closed_without_a_byte(denied);
    check_refused_at_accept(gw, denied.source(), gw.port(), "address_denied");
  }
  double bytes_to_client = 0, bytes_from_client = 0;
  for (const auto& source : sources) {
    auto end = check_session_outcome(gw, source, "ok");
    bytes_to_client += number_of(end, "bytes_to_client").value_or(-1);
    bytes_from_client += number_of(end, "bytes_from_client").value_or(-1);
  }

  auto text = scrape(gw);
  INFO(text);
  CHECK(metric_value(text, "vncgate_connections_accepted_total{" + listener + "}") == 3);
  CHECK(metric_value(text, "vncgate_connections_refused_total{" + listener + ",reason=\"address_denied\"}") == 1);
  CHECK(metric_value(text, "vncgate_handshakes_total{result=\"ok\",security=\"vencrypt\"}") == 3);
  CHECK(metric_value(text, "vncgate_tls_handshake_failures_total{security=\"vencrypt\"}") == 0);
  CHECK(metric_value(text, "vncgate_authentications_total{backend=\"file\",factor=\"password\",result=\"ok\"}") == 2);
  CHECK(metric_value(text, "vncgate_authentications_total{backend=\"file\",factor=\"password\",result=\"rejected\"}") == 1);
  CHECK(metric_value(text, "vncgate_sessions_total{outcome=\"ok\"}") == 2);
  CHECK(metric_value(text, "vncgate_sessions_total{outcome=\"auth_failed\"}") == 1);
  CHECK(metric_value(text, "vncgate_sessions_active{target=\"desk\"}") == 0);
  CHECK(metric_value(text, "vncgate_session_duration_seconds_count{target=\"desk\"}") == 2);
  CHECK(metric_value(text, "vncgate_session_duration_seconds_bucket{target=\"desk\",le=\"+Inf\"}") == 2);
  CHECK(metric_value(text, "vncgate_upstream_connect_duration_seconds_count{target=\"desk\"}") == 2);
  // Bytes as the audit counts them: the sum of the two sessions' session_end lines.
  CHECK(bytes_to_client >= 2 * 320 * 240 * 4);
  CHECK(metric_value(text, "vncgate_relayed_bytes_total{direction=\"target_to_client\",path=\"copy\"}") ==
        bytes_to_client);
  CHECK(metric_value(text, "vncgate_relayed_bytes_total{direction=\"client_to_target\",path=\"copy\"}") ==
        bytes_from_client);
  CHECK(metric_value(text, "vncgate_relayed_bytes_total{direction=\"target_to_client\",path=\"splice\"}") == 0);
  // No user name anywhere in the exposition.
  CHECK(text.find("alice") == std::string::npos);

  // promtool: the format and the naming conventions.
  auto file = s.dir.write("metrics.txt", text);
  auto checked = run({.argv = {"promtool", "check", "metrics"}, .stdin_file = file}, s.dir.path());
  INFO("promtool: " << checked.out << checked.err);
  CHECK(checked.exit_code == 0);

  // A failed reload is counted; a good one changes the config hash.
  CHECK_FALSE(gw.reload_with_text("listeners: [\n"));
  auto options = gw.options();
  options.policy_lines.push_back("max_sessions: 50");
  REQUIRE(gw.reload(options));
  auto after_reload = scrape(gw);
  CHECK(metric_value(after_reload, "vncgate_config_reloads_total{result=\"failure\"}") == 1);
  CHECK(metric_value(after_reload, "vncgate_config_reloads_total{result=\"success\"}") == 1);
  CHECK(metric_value(after_reload, "vncgate_config_info{sha256=\"" + config_sha256(gw) + "\"}") == 1);
  CHECK(after_reload.find("vncgate_config_info{") == after_reload.rfind("vncgate_config_info{"));

  check_clean_shutdown(gw, {alice.password, bob.password, "not-her-password", vnc_password});
}

TEST_CASE("metrics: a real Prometheus scrapes the gateway and counts sessions", "[e2e][metrics]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}});
  prometheus_server prom(s.dir, gw.metrics_port());

  auto scraped = [&](const std::string& promql, double expected) {
    bool seen = wait_until([&] { return prom.query_value(promql) == expected; }, 20s);
    INFO(promql << " expected " << expected << "; last answer: " << prom.last_answer() << "\n" << prom.log_text());
    CHECK(seen);
    return seen;
  };
  REQUIRE(scraped("up{job=\"vncgate\"}", 1));

  // While a session is held open, Prometheus sees one active session to desk.
  bool held = false;
  auto holder = vnc_connect(gw.port(), login_as(alice, s.tls), {.timeout = 60s, .while_connected = [&](vnc_live& live) {
    held = wait_until(
        [&] {
          live.serve(200ms);
          return prom.query_value("sum(vncgate_sessions_active{target=\"desk\"})") == 1;
        },
        20s);
  }});
  INFO(holder.log_text());
  REQUIRE(holder.full_frame);
  CHECK(held);
  check_session_outcome(gw, holder.source(), "ok");
  require_frame(gw.port(), login_as(alice, s.tls), 320, 240);
  scraped("sum(vncgate_sessions_active)", 0);
  scraped("vncgate_sessions_total{outcome=\"ok\"}", 2);
  scraped("sum(vncgate_authentications_total{factor=\"password\",result=\"ok\"})", 2);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("metrics: failure branches are counted where they happen", "[e2e][metrics]") {
  small_desk_setup s;
  target_spec down{.name = "down", .port = free_tcp_port(), .password = vnc_password, .allow_users = {"alice"}};
  gateway gw(s.dir, s.tls, {.listeners = {listener_spec{}, listener_spec{.security = "tls"}}, .users = {alice},
                            .targets = {target_for(s.desk, "desk", {"alice"}), down},
                            .failure_delay = "100ms",
                            .policy_lines = {"lockout: {failures: 2, window: 10m, duration: 15m}"}});

  // Plaintext on a tls listener: the TLS handshake fails.
  {
    raw_client c(gw.port(1));
    CHECK(c.send("RFB 003.008\n"));
    CHECK(c.wait_closed(5s));
    check_session_outcome(gw, c.source(), "tls_failed");
  }
  // A target nobody listens on: the connect fails.
  auto r = vnc_connect(gw.port(), login_as(alice, s.tls, "@down"));
  CHECK_FALSE(r.connected);
  check_session_outcome(gw, r.source(), "upstream_unavailable");
  // Two wrong passwords start a lockout; the third attempt is refused without a check.
  for (int i = 0; i < 3; ++i) {
    auto a = vencrypt_login(gw.port(), "alice", "guess-" + std::to_string(i), s.tls.certificate);
    check_session_outcome(gw, a.source, i < 2 ? "auth_failed" : "locked_out");
  }

  auto text = scrape(gw);
  INFO(text);
  CHECK(metric_value(text, "vncgate_tls_handshake_failures_total{security=\"tls\"}") == 1);
  CHECK(metric_value(text, "vncgate_handshakes_total{result=\"failed\",security=\"tls\"}") == 1);
  CHECK(metric_value(text, "vncgate_sessions_total{outcome=\"tls_failed\"}") == 1);
  CHECK(metric_value(text, "vncgate_upstream_connect_failures_total{reason=\"connect\",target=\"down\"}") == 1);
  CHECK(metric_value(text, "vncgate_upstream_connect_duration_seconds_count{target=\"down\"}") == std::nullopt);
  CHECK(metric_value(text, "vncgate_sessions_total{outcome=\"upstream_unavailable\"}") == 1);
  CHECK(metric_value(text, "vncgate_lockouts_total{key=\"user_source\"}") == 1);
  CHECK(metric_value(text, "vncgate_authentications_total{backend=\"file\",factor=\"password\",result=\"rejected\"}") == 2);
  CHECK(metric_value(text, "vncgate_sessions_total{outcome=\"locked_out\"}") == 1);
  CHECK(metric_value(text, "vncgate_sessions_active{target=\"down\"}") == std::nullopt);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
