// refusal_test.cpp — every refusal the client can see: the reason string libvncclient
// (or a raw client) receives, the audit outcome, and afterwards a gateway that still
// serves and has released every descriptor.
#include <catch2/catch.hpp>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

using refusal_setup = small_desk_setup;

}  // namespace

TEST_CASE("wrong password and unknown user get the same answer", "[e2e][refusal]") {
  refusal_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice, bob}, .targets = {target_for(s.desk, "desk", {"alice"})},
                            .failure_delay = "300ms"});
  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  int baseline = gw.fd_count();

  auto timed = [&](const vnc_login& login) {
    auto started = std::chrono::steady_clock::now();
    auto r = vnc_connect(gw.port(), login);
    return std::pair{r, std::chrono::steady_clock::now() - started};
  };
  auto [wrong, wrong_took] = timed({"alice", "alice-pw-2", s.tls.certificate});
  auto [unknown, unknown_took] = timed({"zed", "alice-pw-1", s.tls.certificate});
  auto [unknown_at, unknown_at_took] = timed({"zed@desk", "zed-pw", s.tls.certificate});
  for (const auto* r : {&wrong, &unknown, &unknown_at}) {
    INFO(r->log_text());
    CHECK_FALSE(r->connected);
    CHECK(r->failure_reason() == "authentication failed");
    check_session_outcome(gw, r->source(), "auth_failed");
    auto session = gw.audit().session_of(r->source());
    REQUIRE(session);
    bool saw_auth = false;
    for (const auto& e : gw.audit().events_of(*session)) {
      CHECK_FALSE(is_event(e, "session_start"));
      if (!is_event(e, "auth")) continue;
      saw_auth = true;
      CHECK(text_of(e, "result") == "failure");
      CHECK(text_of(e, "method") == "file");
    }
    CHECK(saw_auth);
  }
  // failure_delay: every refusal takes at least that long, known user or not.
  CHECK(wrong_took >= 300ms);
  CHECK(unknown_took >= 300ms);
  CHECK(unknown_at_took >= 300ms);

  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, bob.password, "alice-pw-2", "zed-pw", vnc_password});
}

TEST_CASE("a user asking for a target they may not reach is told it is not allowed", "[e2e][refusal]") {
  refusal_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice, bob}, .targets = {target_for(s.desk, "desk", {"alice"})}});
  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  int baseline = gw.fd_count();

  for (const std::string name : {"bob@desk", "bob"}) {
    INFO("login " << name);
    auto login = login_as(name.starts_with("bob") ? bob : alice, s.tls);
    login.user = name;
    auto r = vnc_connect(gw.port(), login);
    INFO(r.log_text());
    CHECK_FALSE(r.connected);
    CHECK(r.failure_reason().find("not allowed") != std::string::npos);
    auto end = check_session_outcome(gw, r.source(), "not_allowed");
    auto session = gw.audit().session_of(r.source());
    REQUIRE(session);
    for (const auto& e : gw.audit().events_of(*session)) {
      CHECK_FALSE(is_event(e, "session_start"));
      if (is_event(e, "auth")) CHECK(text_of(e, "result") == "success");  // who they are is settled
    }
  }
  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}

TEST_CASE("a login whose @suffix names no target is a user name of its own", "[e2e][refusal]") {
  // "alice@corp.example" must stay a user name (PAM/AD accounts carry '@'), so a suffix
  // splits off only when it names a configured target. A mistyped target therefore
  // reads as an unknown user: the one generic refusal, audited with the name as typed.
  refusal_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}});
  auto login = login_as(alice, s.tls);
  login.user = "alice@no-such-desk";
  auto r = vnc_connect(gw.port(), login);
  INFO(r.log_text());
  CHECK_FALSE(r.connected);
  CHECK(r.failure_reason() == "authentication failed");
  check_session_outcome(gw, r.source(), "auth_failed");
  auto session = gw.audit().session_of(r.source());
  REQUIRE(session);
  bool audited = false;
  for (const auto& e : gw.audit().events_of(*session))
    if (is_event(e, "auth")) {
      audited = true;
      CHECK(text_of(e, "user") == "alice@no-such-desk");
      CHECK(text_of(e, "result") == "failure");
    }
  CHECK(audited);
  check_still_serves(gw, gw.port(), login_as(alice, s.tls, "@desk"), 320, 240);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("a target that is down: target unavailable", "[e2e][refusal]") {
  refusal_setup s;
  target_spec down{.name = "down", .port = free_tcp_port(), .password = vnc_password, .allow_users = {"alice"}};
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"}), down}});
  check_still_serves(gw, gw.port(), login_as(alice, s.tls, "@desk"), 320, 240);
  int baseline = gw.fd_count();

  auto r = vnc_connect(gw.port(), login_as(alice, s.tls, "@down"));
  INFO(r.log_text());
  CHECK_FALSE(r.connected);
  CHECK(r.failure_reason() == "target unavailable");
  auto end = check_session_outcome(gw, r.source(), "upstream_unavailable");
  CHECK(text_of(end, "target") == "down");

  check_still_serves(gw, gw.port(), login_as(alice, s.tls, "@desk"), 320, 240);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("a wrong VNC password in the gateway's secret file: target refused the credentials", "[e2e][refusal]") {
  refusal_setup s;
  auto bad = target_for(s.desk, "bad", {"alice"});
  bad.password = "notthis1";
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"}), bad}});
  check_still_serves(gw, gw.port(), login_as(alice, s.tls, "@desk"), 320, 240);
  int baseline = gw.fd_count();

  auto r = vnc_connect(gw.port(), login_as(alice, s.tls, "@bad"));
  INFO(r.log_text());
  CHECK_FALSE(r.connected);
  CHECK(r.failure_reason() == "target refused the gateway's credentials");
  auto end = check_session_outcome(gw, r.source(), "upstream_auth_failed");
  CHECK(text_of(end, "target") == "bad");
  CHECK(s.desk.alive());

  check_still_serves(gw, gw.port(), login_as(alice, s.tls, "@desk"), 320, 240);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, vnc_password, "notthis1"});
}

TEST_CASE("a client without VeNCrypt is offered only type 19 and refused with a reason", "[e2e][refusal]") {
  refusal_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}});
  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  int baseline = gw.fd_count();

  std::uint8_t choice = GENERATE(as<std::uint8_t>{}, 1, 2, 16, 255);
  INFO("client picks security type " << int(choice));
  {
    raw_client c(gw.port());
    REQUIRE(exchange_versions(c, "RFB 003.008\n"));
    REQUIRE(c.read_u8() == 1);
    REQUIRE(c.read_exact(1) == std::string("\x13", 1));
    REQUIRE(c.send_u8(choice));
    CHECK(c.read_u32() == 1u);  // SecurityResult failed
    auto reason = c.read_string32();
    REQUIRE(reason);
    CHECK_FALSE(reason->empty());
    CHECK(c.wait_closed(3s));
    check_session_outcome(gw, c.source(), "no_common_security");
  }
  {
    // RFB 3.7 has no failure reason: the server closes, at most after a bare
    // SecurityResult "failed" (what 3.7 VncAuth servers send).
    raw_client c(gw.port());
    REQUIRE(exchange_versions(c, "RFB 003.007\n"));
    REQUIRE(c.read_u8() == 1);
    REQUIRE(c.read_exact(1) == std::string("\x13", 1));
    REQUIRE(c.send_u8(choice));
    std::string after;
    CHECK(c.wait_closed(3s, &after));
    CHECK((after.empty() || after == std::string("\0\0\0\1", 4)));
    check_session_outcome(gw, c.source(), "no_common_security");
  }
  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("an RFB 3.3 client gets the 3.3 failure with a reason", "[e2e][refusal]") {
  refusal_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}});
  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  int baseline = gw.fd_count();

  std::string version = GENERATE(as<std::string>{}, "RFB 003.003\n", "RFB 003.005\n");
  INFO("client version " << version);
  raw_client c(gw.port());
  REQUIRE(exchange_versions(c, version));
  CHECK(c.read_u32() == 0u);  // 3.3: security type 0 = connection failed, then a reason
  auto reason = c.read_string32();
  REQUIRE(reason);
  CHECK_FALSE(reason->empty());
  CHECK(c.wait_closed(3s));
  check_session_outcome(gw, c.source(), "no_common_security");

  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
