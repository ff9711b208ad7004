// proxy_protocol_test.cpp — listeners behind a load balancer that sends the PROXY
// protocol. A real HAProxy on loopback (`send-proxy`, `send-proxy-v2`) forwards clients
// bound to 127.0.0.2 and others: the audit, the admission rules, the lockout and the
// admin API see the client's own address, with the balancer's beside it. Headers a raw
// client writes by hand cover what HAProxy never sends: no header, a truncated one, an
// oversized one, a silent peer, an untrusted peer and LOCAL. Each refusal is audited
// with its reason and counted; the gateway keeps serving.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <map>

#include "harness/haproxy.hpp"
#include "harness/http_get.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

const listener_spec proxied{.extra_lines = {"proxy_protocol: true"}};

// A v2 header from the raw bytes of its parts.
std::string v2_header(std::uint8_t command, std::uint8_t family, const std::string& block) {
  std::string h("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);
  h += static_cast<char>(command);
  h += static_cast<char>(family);
  h += static_cast<char>(block.size() >> 8);
  h += static_cast<char>(block.size() & 0xFF);
  return h + block;
}

void check_counted(const gateway& gw, const std::string& reason, double n) {
  auto metrics = http_get(gw.metrics_port(), "/metrics").body;
  const std::string series = "vncgate_connections_refused_total{listener=\"127.0.0.1:" +
                             std::to_string(gw.port()) + "\",reason=\"" + reason + "\"}";
  INFO(series);
  CHECK(metric_value(metrics, series) == n);
}

}  // namespace

TEST_CASE("PROXY protocol: HAProxy's v1 and v2 headers carry the client's address", "[e2e][proxy]") {
  const std::string send_proxy = GENERATE(as<std::string>{}, "send-proxy", "send-proxy-v2");
  CAPTURE(send_proxy);
  small_desk_setup s;
  const std::string token(48, 't');
  auto token_file = s.dir.write("admin-token", token + "\n", 0600);
  listener_spec guarded = proxied;
  guarded.extra_lines.push_back("deny_cidrs: [127.0.0.3/32]");
  gateway gw(s.dir, s.tls,
             {.listeners = {guarded},
              .users = {alice},
              .targets = {target_for(s.desk, "desk", {"alice"})},
              .policy_lines = {"lockout: {failures: 2, source_failures: 20, window: 10m, duration: 15m}"},
              .metrics_lines = {"admin_token_file: " + token_file.string()}});
  haproxy_server lb(s.dir, gw.port(), send_proxy);

  // The client's own address and port reach the audit; the balancer's stand beside them.
  auto r = vnc_connect(lb.port(), login_as(alice, s.tls),
                       {.source_host = "127.0.0.2", .while_connected = [&](const vnc_session_result&) {
                          auto listed = http_request(gw.metrics_port(), "GET", "/api/sessions", 5s,
                                                     {"Authorization: Bearer " + token});
                          REQUIRE(listed.status == 200);
                          auto sessions = boost::json::parse(listed.body).as_object().at("sessions").as_array();
                          REQUIRE(sessions.size() == 1);
                          const auto& live = sessions[0].as_object();
                          CHECK(std::string(live.at("source").as_string()).starts_with("127.0.0.2:"));
                          CHECK(std::string(live.at("proxy").as_string()).starts_with("127.0.0.1:"));
                        }});
  INFO(r.log_text() << "\nhaproxy:\n" << lb.output() << gw.diagnostics());
  REQUIRE(r.full_frame);
  REQUIRE(r.source().starts_with("127.0.0.2:"));
  auto end = check_good_session(gw, r.source(), gw.port(), "alice", "desk", s.desk.port(), "file", 320.0 * 240 * 4);
  CHECK(text_of(end, "proxy").starts_with("127.0.0.1:"));
  auto accepted = gw.audit().wait_for([&](const audit_event& e) {
    return is_event(e, "connection_accepted") && text_of(e, "source") == r.source();
  });
  REQUIRE(accepted);
  CHECK(text_of(*accepted, "proxy").starts_with("127.0.0.1:"));

  // The listener's deny rule applies to the client, not to the balancer (127.0.0.1).
  auto denied = vnc_connect(lb.port(), login_as(alice, s.tls), {.source_host = "127.0.0.3"});
  CHECK_FALSE(denied.connected);
  auto refused = check_refused_at_accept(gw, denied.source(), gw.port(), "address_denied");
  CHECK(text_of(refused, "proxy").starts_with("127.0.0.1:"));

  // Lockout counts per client: 127.0.0.4 locks itself out; 127.0.0.2 behind the same
  // balancer still logs in.
  for (int i = 0; i < 3; ++i) {
    auto wrong = vnc_connect(lb.port(), {"alice", "not-alices", s.tls.certificate}, {.source_host = "127.0.0.4"});
    CHECK_FALSE(wrong.connected);
    check_session_outcome(gw, wrong.source(), i < 2 ? "auth_failed" : "locked_out");
  }
  auto lockouts = events_named(gw, "lockout");
  REQUIRE(lockouts.size() == 1);
  CHECK(text_of(lockouts[0], "source").starts_with("127.0.0.4"));
  auto again = vnc_connect(lb.port(), login_as(alice, s.tls), {.source_host = "127.0.0.2"});
  CHECK(again.full_frame);
  check_session_outcome(gw, again.source(), "ok");
  check_clean_shutdown(gw, {alice.password, vnc_password, token});
}

TEST_CASE("PROXY protocol: a header written by hand names the client, and LOCAL keeps the peer", "[e2e][proxy]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.listeners = {proxied}, .users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}});

  // v1 naming 192.0.2.7:40001, then the RFB greeting follows for that client.
  {
    raw_client raw(gw.port());
    REQUIRE(raw.send("PROXY TCP4 192.0.2.7 127.0.0.1 40001 " + std::to_string(gw.port()) + "\r\n"));
    CHECK(raw.read_exact(12) == std::optional<std::string>("RFB 003.008\n"));
    raw.close();
    auto accepted = gw.audit().wait_for([](const audit_event& e) {
      return is_event(e, "connection_accepted") && text_of(e, "source") == "192.0.2.7:40001";
    });
    REQUIRE(accepted);
    CHECK(text_of(*accepted, "proxy") == raw.source());
  }
  // A v2 header and the client's version in one write: the version is left for RFB.
  {
    std::string block = std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x09" +  // 2001:db8::9
                        std::string(16, '\0') + "\x9c\x42\x17\x0c";                              // ports 40002, 5900
    raw_client raw(gw.port());
    REQUIRE(raw.send(v2_header(0x21, 0x21, block)));
    CHECK(raw.read_exact(12) == std::optional<std::string>("RFB 003.008\n"));
    raw.close();
    CHECK(gw.audit().session_of("[2001:db8::9]:40002").has_value());
  }
  // LOCAL (a balancer's health check): the connection's own address stands, and the
  // session goes on as any other.
  {
    raw_client raw(gw.port());
    REQUIRE(raw.send(v2_header(0x20, 0x00, "")));
    CHECK(raw.read_exact(12) == std::optional<std::string>("RFB 003.008\n"));
    raw.close();
    CHECK(gw.audit().session_of(raw.source()).has_value());
  }
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("PROXY protocol: missing, bad, truncated, oversized, late and untrusted headers are refused",
          "[e2e][proxy]") {
  small_desk_setup s;
  listener_spec only_far_balancers = proxied;
  only_far_balancers.extra_lines.push_back("proxy_protocol_from: [10.99.0.0/16]");
  gateway gw(s.dir, s.tls,
             {.listeners = {proxied, only_far_balancers},
              .users = {alice},
              .targets = {target_for(s.desk, "desk", {"alice"})},
              .handshake_timeout = "1s"});

  struct bad_start {
    std::string bytes;
    bool close_after;
    std::string reason;
  };
  const std::vector<bad_start> cases = {
      {"RFB 003.008\n", false, "proxy_header_missing"},                                      // a client that skipped the balancer
      {std::string("\x16\x03\x01\x02\x00\x01", 6), false, "proxy_header_missing"},         // TLS straight away
      {"PROXY TCP4 192.0.2.7 127.0.0.1 nine 5900\r\n", false, "proxy_header_invalid"},
      {v2_header(0x21, 0x12, std::string(12, '\1')), false, "proxy_header_invalid"},         // UDP
      {v2_header(0x21, 0x11, "").substr(0, 16) + "\xff", false, "proxy_header_invalid"},     // length 0, block short
      {std::string("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A\x21\x11\xff\xff", 16), false,
       "proxy_header_too_long"},
      {"PROXY TCP4 " + std::string(120, '1'), false, "proxy_header_too_long"},
      {"PROXY TCP4 192.0.2.7 127.0", true, "proxy_header_truncated"},
      {"", false, "proxy_header_timeout"},                                                    // silent
      {"PROXY TCP4 192.0.2.7", false, "proxy_header_timeout"},                                // slow
  };
  std::map<std::string, double> counted;
  for (const auto& c : cases) {
    CAPTURE(c.bytes, c.reason);
    raw_client raw(gw.port());
    if (!c.bytes.empty()) REQUIRE(raw.send(c.bytes));
    if (c.close_after) raw.shutdown_send();
    CHECK(raw.wait_closed(4s));
    auto refused = check_refused_at_accept(gw, raw.source(), gw.port(), c.reason);
    CHECK_FALSE(text_of(refused, "detail").empty());
    ++counted[c.reason];
  }
  // An address outside proxy_protocol_from is refused before any byte is read.
  {
    raw_client raw(gw.port(1));
    REQUIRE(raw.send("PROXY TCP4 192.0.2.7 127.0.0.1 40001 5900\r\n"));
    CHECK(raw.wait_closed(3s));
    check_refused_at_accept(gw, raw.source(), gw.port(1), "proxy_untrusted");
  }
  for (const auto& [reason, n] : counted) check_counted(gw, reason, n);

  // The gateway still serves a well-behaved balancer.
  haproxy_server lb(s.dir, gw.port(), "send-proxy-v2");
  auto r = vnc_connect(lb.port(), login_as(alice, s.tls), {.source_host = "127.0.0.2"});
  INFO(r.log_text());
  CHECK(r.full_frame);
  check_session_outcome(gw, r.source(), "ok");
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
