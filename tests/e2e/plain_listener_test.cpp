// plain_listener_test.cpp — a `security: plain` listener (declared client_leg_protected:
// a TLS-terminating load balancer or sidecar in front): RFB with VeNCrypt offering only
// Plain (256) over TCP, no TLS at the gateway. libvncclient logs in and gets a full
// frame; a wrong password is refused like anywhere else; a client asking for a TLS
// subtype is not served; the handshake is counted under security="plain". The
// target's bytes go to the client by splice(2): the session says relay_path "splice",
// the splice byte counter holds the frame, and an administrator's end is still told to
// a client that takes DesktopName (the pipe is emptied, then the goodbye is written).
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "harness/http_get.hpp"
#include "scenario.hpp"
#include "told_session.hpp"

using namespace vncgate::e2e;

TEST_CASE("plain listener: libvncclient logs in with VeNCrypt Plain over TCP", "[e2e][plain]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240, .root_colour = "#0080ff"});
  gateway gw(dir, tls,
             {.listeners = {listener_spec{.security = "plain", .extra_lines = {"client_leg_protected: true"}}},
              .users = {alice},
              .targets = {target_for(desk, "desk", {"alice"})}});

  auto r = vnc_connect(gw.port(), login_as(alice, tls));
  INFO(r.log_text());
  REQUIRE(r.connected);
  REQUIRE(r.full_frame);
  CHECK(r.security_type == 19);
  CHECK(r.vencrypt_subtype == 256);
  CHECK(r.pixel(5, 5) == std::array<std::uint8_t, 3>{0x00, 0x80, 0xff});
  auto good = check_good_session(gw, r.source(), gw.port(), "alice", "desk", desk.port(), "file", 320.0 * 240 * 4);
  CHECK(text_of(good, "relay_path") == "splice");
  auto start = session_start_of(gw, r.source());
  CHECK(number_of(start, "security") == 256);

  auto wrong = vnc_connect(gw.port(), {"alice", "not-alices", tls.certificate});
  CHECK_FALSE(wrong.connected);
  CHECK(wrong.failure_reason() == "authentication failed");
  check_session_outcome(gw, wrong.source(), "auth_failed");

  // Only Plain is offered: a client that picks X509Plain gets no TLS, the connection closes.
  {
    raw_client raw(gw.port());
    REQUIRE(exchange_versions(raw, "RFB 003.008\n"));
    auto types = raw.read_exact(2);
    REQUIRE(types);
    CHECK(*types == std::string("\x01\x13", 2));  // one type: VeNCrypt
    REQUIRE(raw.send_u8(19));
    REQUIRE(raw.read_exact(2) == std::string("\x00\x02", 2));  // VeNCrypt 0.2
    REQUIRE(raw.send(std::string("\x00\x02", 2)));
    REQUIRE(raw.read_exact(1) == std::string("\x00", 1));      // version accepted
    auto subtypes = raw.read_exact(5);
    REQUIRE(subtypes);
    CHECK(*subtypes == std::string("\x01\x00\x00\x01\x00", 5));  // one subtype: Plain (256)
    REQUIRE(raw.send_u32(262));
    CHECK(raw.wait_closed(3s));
    check_session_outcome(gw, raw.source(), "no_common_security");
  }

  auto metrics = http_get(gw.metrics_port(), "/metrics").body;
  CHECK(metrics.find("vncgate_handshakes_total{result=\"ok\",security=\"plain\"} 2\n") != std::string::npos);
  // Every byte to the client went by splice; none by copy.
  CHECK(metric_value(metrics, "vncgate_relayed_bytes_total{direction=\"target_to_client\",path=\"splice\"}") ==
        number_of(good, "bytes_to_client"));
  CHECK(metric_value(metrics, "vncgate_relayed_bytes_total{direction=\"target_to_client\",path=\"copy\"}") == 0);
  CHECK(gw.stderr_text().find("(plain)") != std::string::npos);
  check_clean_shutdown(gw, {alice.password, vnc_password, "not-alices"});
}

TEST_CASE("plain listener: the splice path relays every frame and still says goodbye", "[e2e][plain][admin]") {
  small_desk_setup s;
  const std::string token(48, 'k');
  auto token_file = s.dir.write("admin-token", token + "\n", 0600);
  gateway gw(s.dir, s.tls,
             {.listeners = {listener_spec{.security = "plain", .extra_lines = {"client_leg_protected: true"}}},
              .users = {alice},
              .targets = {target_for(s.desk, "desk", {"alice"})},
              .metrics_lines = {"admin_token_file: " + token_file.string()}});
  auto live = start_session(gw, s.tls, alice.name, alice.password, {{encoding_raw, encoding_desktop_name}});
  // Many full frames in a row: each answer arrives whole through the pipe.
  for (int i = 0; i < 20; ++i) {
    REQUIRE(send_update_request(*live.client, false, 320, 240));
    live.read(5s, 1);
  }
  INFO(describe(live.stream));
  CHECK(live.stream.messages.size() == 21);
  CHECK(live.stream.raw_pixels() >= 21L * 320 * 240);

  auto listed = http_request(gw.metrics_port(), "GET", "/api/sessions", 5s, {"Authorization: Bearer " + token});
  REQUIRE(listed.status == 200);
  auto sessions = boost::json::parse(listed.body).as_object().at("sessions").as_array();
  REQUIRE(sessions.size() == 1);
  CHECK(sessions[0].as_object().at("relay_path").as_string() == "splice");
  const std::string id(sessions[0].as_object().at("id").as_string().c_str());
  REQUIRE(http_request(gw.metrics_port(), "DELETE", "/api/sessions/" + id, 5s, {"Authorization: Bearer " + token})
              .status == 200);
  live.read(8s);
  check_told(live.stream, "vncgate: session ended by administrator", 320, 240, false);
  auto end = check_session_outcome(gw, live.client->source(), "ended_by_admin");
  CHECK(text_of(end, "relay_path") == "splice");
  check_clean_shutdown(gw, {alice.password, vnc_password, token});
}
