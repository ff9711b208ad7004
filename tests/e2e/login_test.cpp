// login_test.cpp — sessions that go through: the file backend with VeNCrypt X509Plain
// (libvncclient), pixel-exact against a direct connection; targets without a password;
// both secret file formats; choosing a target by user@target, bound listener, groups
// and "*"; relative paths in the config; the VeNCrypt subtypes offered.
#include <catch2/catch.hpp>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {
const std::array<std::uint8_t, 3> orange{0xff, 0x80, 0x00};
const std::array<std::uint8_t, 3> blue{0x00, 0x40, 0xc0};
}  // namespace

TEST_CASE("file backend: X509Plain through the gateway shows the same pixels as a direct connection", "[e2e][login]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 640, .height = 480,
                         .pattern_foreground = "#ff8000", .pattern_background = "#0040c0"});
  gateway gw(dir, tls, {.users = {alice, bob}, .targets = {target_for(desk, "desk", {"alice"})}});

  auto direct = vnc_connect(desk.port(), {.password = vnc_password});
  INFO("direct: " << direct.log_text());
  REQUIRE(direct.full_frame);
  auto p = direct.pixel(0, 0);
  REQUIRE((p == orange || p == blue));

  bool started_before_end = false;
  auto via = vnc_connect(gw.port(), login_as(alice, tls), {.while_connected = [&](const vnc_session_result& r) {
    // The audit line is written when the session starts, not when it ends.
    started_before_end = gw.audit().wait_for([&](const audit_event& e) {
      return is_event(e, "session_start") && text_of(e, "source") == r.source();
    }).has_value();
  }});
  INFO("through the gateway: " << via.log_text());
  REQUIRE(via.connected);
  REQUIRE(via.full_frame);
  CHECK(via.security_type == 19);
  CHECK(via.vencrypt_subtype == 262);
  CHECK(via.width == direct.width);
  CHECK(via.height == direct.height);
  CHECK(via.rgb_sha256 == direct.rgb_sha256);
  CHECK(started_before_end);
  check_good_session(gw, via.source(), gw.port(), "alice", "desk", desk.port(), "file", 640.0 * 480 * 4);

  // A second, identical session, and no descriptor left behind by either.
  int baseline = gw.fd_count();
  auto again = require_frame(gw.port(), login_as(alice, tls), 640, 480);
  CHECK(again.rgb_sha256 == direct.rgb_sha256);
  check_session_outcome(gw, again.source(), "ok");
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password});
}

TEST_CASE("a target without a VNC password (Xvnc SecurityTypes None) works", "[e2e][login]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = "", .width = 320, .height = 240, .root_colour = "#ff8000"});
  gateway gw(dir, tls, {.users = {alice}, .targets = {target_for(desk, "open-desk", {"alice"})}});
  auto r = require_frame(gw.port(), login_as(alice, tls), 320, 240);
  CHECK(r.pixel(10, 10) == orange);
  CHECK(r.pixel(319, 239) == orange);
  check_good_session(gw, r.source(), gw.port(), "alice", "open-desk", desk.port(), "file", 320.0 * 240 * 4);
  check_clean_shutdown(gw, {alice.password});
}

TEST_CASE("the gateway reads the binary vncpasswd -f secret file format", "[e2e][login]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240, .root_colour = "#0040c0"});
  auto target = target_for(desk, "desk", {"alice"});
  target.password.reset();
  target.password_file_bytes = read_text(desk.password_file());
  REQUIRE(target.password_file_bytes->size() == 8);
  gateway gw(dir, tls, {.users = {alice}, .targets = {target}});
  auto r = require_frame(gw.port(), login_as(alice, tls), 320, 240);
  CHECK(r.pixel(0, 0) == blue);
  check_good_session(gw, r.source(), gw.port(), "alice", "desk", desk.port(), "file", 320.0 * 240 * 4);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("choosing the target: user@target or bound listener or groups or the only reachable one", "[e2e][login]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server small(dir, {.password = vnc_password, .width = 320, .height = 240});
  xvnc_server large(dir, {.password = "other-pw", .width = 400, .height = 300});
  gateway gw(dir, tls,
             {.listeners = {listener_spec{}, listener_spec{.target = "large"}},
              .users = {alice, bob, carol},
              .targets = {target_for(small, "small", {"alice"}), target_for(large, "large", {"bob"}, {"designers"})}});

  SECTION("user@target picks each target") {
    auto a = require_frame(gw.port(0), login_as(alice, tls, "@small"), 320, 240);
    check_good_session(gw, a.source(), gw.port(0), "alice", "small", small.port(), "file", 320.0 * 240 * 4);
    auto b = require_frame(gw.port(0), login_as(alice, tls, "@large"), 400, 300);  // via group designers
    check_good_session(gw, b.source(), gw.port(0), "alice", "large", large.port(), "file", 400.0 * 300 * 4);
  }
  SECTION("a plain name goes to the only target the user may reach") {
    auto c = require_frame(gw.port(0), login_as(carol, tls), 400, 300);
    check_good_session(gw, c.source(), gw.port(0), "carol", "large", large.port(), "file", 400.0 * 300 * 4);
    auto b = require_frame(gw.port(0), login_as(bob, tls), 400, 300);
    check_good_session(gw, b.source(), gw.port(0), "bob", "large", large.port(), "file", 400.0 * 300 * 4);
  }
  SECTION("a listener bound to a target picks it") {
    auto a = require_frame(gw.port(1), login_as(alice, tls), 400, 300);
    check_good_session(gw, a.source(), gw.port(1), "alice", "large", large.port(), "file", 400.0 * 300 * 4);
  }
  SECTION("a plain name with two reachable targets and no binding is refused") {
    auto a = vnc_connect(gw.port(0), login_as(alice, tls));
    INFO(a.log_text());
    CHECK_FALSE(a.connected);
    CHECK_FALSE(a.failure_reason().empty());
    check_session_outcome(gw, a.source(), "not_allowed");
    check_still_serves(gw, gw.port(0), login_as(alice, tls, "@small"), 320, 240);
  }
  check_clean_shutdown(gw, {alice.password, bob.password, carol.password, vnc_password, "other-pw"});
}

TEST_CASE("allow users star admits any authenticated user", "[e2e][login]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  gateway gw(dir, tls, {.users = {alice, bob}, .targets = {target_for(desk, "lobby", {"*"})}});
  auto b = require_frame(gw.port(), login_as(bob, tls), 320, 240);
  check_good_session(gw, b.source(), gw.port(), "bob", "lobby", desk.port(), "file", 320.0 * 240 * 4);
  auto wrong = vnc_connect(gw.port(), {"bob", "not-bobs-pw", tls.certificate});
  CHECK_FALSE(wrong.connected);
  CHECK(wrong.failure_reason() == "authentication failed");
  check_clean_shutdown(gw, {alice.password, bob.password, vnc_password, "not-bobs-pw"});
}

TEST_CASE("relative paths in the config resolve against the config file's directory", "[e2e][login]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  gateway gw(dir, tls, {.users = {alice}, .targets = {target_for(desk, "desk", {"alice"})}, .relative_paths = true});
  REQUIRE(read_text(gw.config_path()).find(dir.path().string()) == std::string::npos);
  auto r = require_frame(gw.port(), login_as(alice, tls), 320, 240);
  check_good_session(gw, r.source(), gw.port(), "alice", "desk", desk.port(), "file", 320.0 * 240 * 4);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("VeNCrypt subtypes: X509Plain only and TLSPlain too when anonymous TLS is allowed", "[e2e][login]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password});
  gateway gw(dir, tls, {.listeners = {listener_spec{}, listener_spec{.allow_anonymous_tls = true}},
                        .users = {alice}, .targets = {target_for(desk, "desk", {"alice"})}});
  std::string why;
  {
    raw_client c(gw.port(0));
    auto subtypes = vencrypt_subtypes(c, &why);
    INFO(why);
    REQUIRE(subtypes);
    CHECK(*subtypes == std::vector<std::uint32_t>{262});
  }
  {
    raw_client c(gw.port(1));
    auto subtypes = vencrypt_subtypes(c, &why);
    INFO(why);
    REQUIRE(subtypes);
    CHECK(*subtypes == std::vector<std::uint32_t>{262, 259});
  }
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
