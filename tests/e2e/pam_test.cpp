// pam_test.cpp — the PAM backend, with the gateway run under pam_wrapper + pam_matrix
// (no system user, /etc/pam.d untouched).
#include <catch2/catch.hpp>

#include "scenario.hpp"

using namespace vncgate::e2e;

TEST_CASE("PAM backend: X509Plain login through pam_wrapper", "[e2e][pam]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240, .root_colour = "#ff8000"});
  auto env = pam_wrapper_env(dir, "vncgw", {alice, bob}, vncgate_binary());
  gateway gw(dir, tls, {.backend = "pam", .pam_service = "vncgw",
                        .targets = {target_for(desk, "desk", {"alice"})}, .env = env});

  auto direct = vnc_connect(desk.port(), {.password = vnc_password});
  REQUIRE(direct.full_frame);
  auto r = require_frame(gw.port(), login_as(alice, tls), 320, 240);
  CHECK(r.rgb_sha256 == direct.rgb_sha256);
  check_good_session(gw, r.source(), gw.port(), "alice", "desk", desk.port(), "pam", 320.0 * 240 * 4);
  int baseline = gw.fd_count();

  auto wrong = vnc_connect(gw.port(), {"alice", "alice-wrong", tls.certificate});
  auto unknown = vnc_connect(gw.port(), {"mallory", "alice-pw-1", tls.certificate});
  for (const auto* refused : {&wrong, &unknown}) {
    INFO(refused->log_text());
    CHECK_FALSE(refused->connected);
    CHECK(refused->failure_reason() == "authentication failed");
    auto end = check_session_outcome(gw, refused->source(), "auth_failed");
    auto session = gw.audit().session_of(refused->source());
    REQUIRE(session);
    for (const auto& e : gw.audit().events_of(*session))
      if (is_event(e, "auth")) {
        CHECK(text_of(e, "method") == "pam");
        CHECK(text_of(e, "result") == "failure");
      }
  }
  // bob authenticates but may not reach desk.
  auto b = vnc_connect(gw.port(), login_as(bob, tls));
  CHECK_FALSE(b.connected);
  CHECK(b.failure_reason().find("not allowed") != std::string::npos);
  check_session_outcome(gw, b.source(), "not_allowed");

  check_still_serves(gw, gw.port(), login_as(alice, tls), 320, 240);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, bob.password, "alice-wrong", vnc_password});
}
