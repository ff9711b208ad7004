// hostile_test.cpp — malformed bytes, hang-ups at every handshake step and silent
// clients each end only their own session, with the outcome the audit trail names;
// the gateway keeps running, serves the next client and releases every descriptor.
#include <algorithm>
#include <catch2/catch.hpp>

#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

// How far a raw client gets through VeNCrypt X509Plain before it misbehaves.
enum class step { connected, version_sent, type_chosen, vencrypt_version_sent, subtype_accepted, tls_up, lengths_sent };

const char* name_of(step s) {
  switch (s) {
    case step::connected: return "connected";
    case step::version_sent: return "version sent";
    case step::type_chosen: return "type 19 chosen";
    case step::vencrypt_version_sent: return "VeNCrypt 0.2 sent";
    case step::subtype_accepted: return "X509Plain accepted, before TLS";
    case step::tls_up: return "TLS up, before credentials";
    case step::lengths_sent: return "Plain lengths sent, credentials missing";
  }
  return "?";
}

void drive_to(raw_client& c, step target, const certs& tls) {
  if (target == step::connected) return;
  REQUIRE(exchange_versions(c, "RFB 003.008\n"));
  if (target == step::version_sent) return;
  REQUIRE(c.read_u8() == 1);
  REQUIRE(c.read_exact(1) == std::string("\x13", 1));
  REQUIRE(c.send_u8(19));
  if (target == step::type_chosen) return;
  REQUIRE(c.read_exact(2) == std::string("\x00\x02", 2));
  REQUIRE(c.send(std::string("\x00\x02", 2)));
  if (target == step::vencrypt_version_sent) return;
  REQUIRE(c.read_u8() == 0);
  REQUIRE(c.read_u8() == 1);
  REQUIRE(c.read_u32() == 262u);
  REQUIRE(c.send_u32(262));
  REQUIRE(c.read_u8() == 1);
  if (target == step::subtype_accepted) return;
  REQUIRE(c.start_tls(tls.certificate));
  if (target == step::tls_up) return;
  REQUIRE(c.send_u32(5));
  REQUIRE(c.send_u32(10));
}

struct hostile_setup {
  temp_dir dir;
  certs tls = make_certs(dir);
  xvnc_server desk{dir, {.password = vnc_password, .width = 320, .height = 240}};
  gateway gw{dir, tls, {.users = {alice}, .targets = {target_for(desk, "desk", {"alice"})}}};
  int baseline = -1;

  hostile_setup() {
    check_still_serves(gw, gw.port(), login_as(alice, tls), 320, 240);  // warm up, then count fds
    baseline = gw.fd_count();
  }
  void finish() {
    check_still_serves(gw, gw.port(), login_as(alice, tls), 320, 240);
    check_fds_settle(gw, baseline);
    check_clean_shutdown(gw, {alice.password, vnc_password});
  }
};

struct hostile_case {
  const char* name;
  step before;
  std::string bytes;
  std::vector<std::string> outcomes;  // acceptable audit outcomes
};

std::string u32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

}  // namespace

TEST_CASE("hostile bytes end just that session", "[e2e][hostile]") {
  auto c = GENERATE(values<hostile_case>({
      {"HTTP instead of a version", step::connected, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", {"protocol_error"}},
      {"RFB 004.000", step::connected, "RFB 004.000\n", {"protocol_error"}},
      {"binary junk as the version", step::connected, std::string("\x00\xff\x13\x37RFB\x01\x02\x03\x04\n", 12),
       {"protocol_error"}},
      {"VeNCrypt version 0.1", step::type_chosen, std::string("\x00\x01", 2), {"protocol_error", "no_common_security"}},
      {"VeNCrypt version 9.9", step::type_chosen, std::string("\x09\x09", 2), {"protocol_error", "no_common_security"}},
      {"subtype not offered (Plain without TLS)", step::vencrypt_version_sent, u32(256), {"no_common_security"}},
      {"subtype 0", step::vencrypt_version_sent, u32(0), {"no_common_security", "protocol_error"}},
      {"random bytes instead of a ClientHello", step::subtype_accepted,
       std::string("\x8f\x21\x00\x7a\xee\x10\x42\x99\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 20), {"tls_failed"}},
      {"Plain lengths 0xFFFFFFFF", step::tls_up, u32(0xffffffff) + u32(0xffffffff), {"protocol_error"}},
      {"Plain user length 0xFFFFFFFF", step::tls_up, u32(0xffffffff) + u32(4) + "pass", {"protocol_error"}},
      {"Plain password length 0x7FFFFFFF", step::tls_up, u32(5) + u32(0x7fffffff) + "alice", {"protocol_error"}},
  }));
  INFO("case: " << c.name);
  hostile_setup s;
  {
    raw_client client(s.gw.port());
    drive_to(client, c.before, s.tls);
    CHECK(client.send(c.bytes));
    std::string after;
    CHECK(client.wait_closed(4s, &after));  // the gateway hangs up without more from us
    auto end = session_end_of(s.gw, client.source());
    INFO("outcome " << text_of(end, "outcome") << " reason " << text_of(end, "reason"));
    CHECK(std::find(c.outcomes.begin(), c.outcomes.end(), text_of(end, "outcome")) != c.outcomes.end());
  }
  REQUIRE(s.gw.alive());
  s.finish();
}

TEST_CASE("a client that hangs up at any handshake step ends as client_closed", "[e2e][hostile]") {
  auto at = GENERATE(step::connected, step::version_sent, step::type_chosen, step::vencrypt_version_sent,
                     step::subtype_accepted, step::tls_up, step::lengths_sent);
  bool reset = GENERATE(false, true);
  INFO("hang-up after: " << name_of(at) << (reset ? " (RST)" : " (FIN)"));
  hostile_setup s;
  std::string source;
  {
    raw_client client(s.gw.port());
    source = client.source();
    drive_to(client, at, s.tls);
    client.close(reset);
  }
  // A connection reset while still in the accept queue may never reach the gateway as
  // a connection (accept() hands it over, the peer address is already gone): then it
  // must leave no trace at all, which check_clean_shutdown verifies with the rest.
  bool may_be_unseen = at == step::connected && reset;
  auto session = s.gw.audit().session_of(source, may_be_unseen ? 1s : 5s);
  if (!may_be_unseen) REQUIRE(session);
  if (session) {
    auto end = s.gw.audit().wait_session_end(*session, 4s);
    REQUIRE(end);
    std::string outcome = text_of(*end, "outcome");
    INFO("outcome " << outcome << " reason " << text_of(*end, "reason"));
    // EOF inside the TLS handshake is tls_failed; so is an RST after our Finished, which
    // discards it from the gateway's receive queue before the gateway has read it.
    bool tls_may_fail = at == step::subtype_accepted || (reset && at >= step::tls_up);
    if (tls_may_fail)
      CHECK((outcome == "client_closed" || outcome == "tls_failed"));
    else
      CHECK(outcome == "client_closed");
  }
  REQUIRE(s.gw.alive());
  s.finish();
}

TEST_CASE("a silent client is cut off at the handshake timeout", "[e2e][hostile]") {
  auto at = GENERATE(step::connected, step::version_sent, step::tls_up);
  INFO("silent after: " << name_of(at));
  hostile_setup s;  // handshake_timeout 2s
  auto started = std::chrono::steady_clock::now();
  raw_client client(s.gw.port(), 10s);
  drive_to(client, at, s.tls);
  std::string drained;
  CHECK(client.wait_closed(6s, &drained));
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 1500ms);
  CHECK(took <= 4500ms);
  auto end = check_session_outcome(s.gw, client.source(), "handshake_timeout");
  client.close();
  REQUIRE(s.gw.alive());
  s.finish();
}
