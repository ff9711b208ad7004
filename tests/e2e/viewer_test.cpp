// viewer_test.cpp — TigerVNC's vncviewer (a second, independent VeNCrypt client) under
// Xvfb, logging in through the gateway with X509Plain and credentials from the
// environment.
#include <catch2/catch.hpp>
#include <thread>

#include "harness/vncviewer.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

TEST_CASE("TigerVNC vncviewer connects through the gateway and stays connected", "[e2e][viewer]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 640, .height = 480, .root_colour = "#ff8000"});
  gateway gw(dir, tls, {.users = {alice}, .targets = {target_for(desk, "desk", {"alice"})}});
  xvfb_display screen(dir);
  {
    vncviewer viewer(dir, screen, gw.port(), {.user = "alice", .password = alice.password, .ca_file = tls.certificate});
    CHECK(viewer.wait_connected(15s));
    auto start = gw.audit().wait_for([](const audit_event& e) {
      return is_event(e, "session_start") && text_of(e, "user") == "alice";
    });
    REQUIRE(start);
    CHECK(text_of(*start, "target") == "desk");
    std::this_thread::sleep_for(2s);
    CHECK(viewer.alive());  // a refused viewer exits, with status 0: liveness is the signal
    CHECK(gw.audit().events_of(text_of(*start, "session")).size() >= 3);
    for (const auto& e : gw.audit().events_of(text_of(*start, "session"))) CHECK_FALSE(is_event(e, "session_end"));
    viewer.stop();
    auto end = gw.audit().wait_session_end(text_of(*start, "session"));
    REQUIRE(end);
    CHECK(text_of(*end, "outcome") == "ok");
    CHECK(number_of(*end, "bytes_to_client").value_or(0) > 0);
  }
  {
    vncviewer refused(dir, screen, gw.port(), {.user = "alice", .password = "wrong-one", .ca_file = tls.certificate});
    bool told = wait_until([&] { return refused.log().find("authentication failed") != std::string::npos; }, 10s);
    INFO(refused.log());
    CHECK(told);
    CHECK(wait_until([&] { return !refused.alive(); }, 5s));
  }
  CHECK(gw.alive());
  check_clean_shutdown(gw, {alice.password, vnc_password, "wrong-one"});
}
