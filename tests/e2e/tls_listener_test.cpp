// tls_listener_test.cpp — a `security: tls` listener: TLS from the first byte, then RFB
// offering VeNCrypt with only Plain (256). libvncclient reaches it through socat
// (tls_unwrapper); a raw client checks the bytes inside and outside TLS.
#include <catch2/catch.hpp>

#include "harness/tls_unwrapper.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

TEST_CASE("tls listener: libvncclient logs in with VeNCrypt Plain inside TLS", "[e2e][tls]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240, .root_colour = "#ff8000"});
  gateway gw(dir, tls, {.listeners = {listener_spec{.security = "tls"}}, .users = {alice},
                        .targets = {target_for(desk, "desk", {"alice"})}});
  tls_unwrapper unwrap(dir, gw.port(), tls.certificate);

  auto r = vnc_connect(unwrap.port(), login_as(alice, tls));
  INFO(r.log_text() << "socat:\n" << unwrap.log());
  REQUIRE(r.connected);
  REQUIRE(r.full_frame);
  CHECK(r.security_type == 19);
  CHECK(r.vencrypt_subtype == 256);
  CHECK(r.width == 320);
  CHECK(r.pixel(7, 7) == std::array<std::uint8_t, 3>{0xff, 0x80, 0x00});
  // The gateway sees socat's address, not ours: find the session by its start line.
  auto start = gw.audit().wait_for([](const audit_event& e) {
    return is_event(e, "session_start") && text_of(e, "user") == "alice";
  });
  REQUIRE(start);
  CHECK(text_of(*start, "target") == "desk");
  auto end = gw.audit().wait_session_end(text_of(*start, "session"));
  REQUIRE(end);
  CHECK(text_of(*end, "outcome") == "ok");
  CHECK(number_of(*end, "bytes_to_client").value_or(0) > 320.0 * 240 * 4);

  auto wrong = vnc_connect(unwrap.port(), {"alice", "not-alices", tls.certificate});
  CHECK_FALSE(wrong.connected);
  CHECK(wrong.failure_reason() == "authentication failed");
  CHECK(gw.alive());
  check_clean_shutdown(gw, {alice.password, vnc_password, "not-alices"});
}

TEST_CASE("tls listener: the bytes inside TLS and nothing for a plaintext client", "[e2e][tls]") {
  temp_dir dir;
  auto tls = make_certs(dir);
  xvnc_server desk(dir, {.password = vnc_password, .width = 320, .height = 240});
  gateway gw(dir, tls, {.listeners = {listener_spec{.security = "tls"}}, .users = {alice},
                        .targets = {target_for(desk, "desk", {"alice"})}});
  {
    raw_client c(gw.port());
    REQUIRE(c.start_tls(tls.certificate));
    std::string why;
    auto subtypes = vencrypt_subtypes(c, &why);
    INFO(why);
    REQUIRE(subtypes);
    CHECK(*subtypes == std::vector<std::uint32_t>{256});
    // Plain is not a TLS subtype: no accept byte follows (TigerVNC's SSecurityTLS writes
    // that byte; libvncclient reads it only for TLS subtypes).
    REQUIRE(c.send_u32(256));
    REQUIRE(c.send_plain_credentials("alice", alice.password));
    CHECK(c.read_u32() == 0u);
    REQUIRE(c.send_u8(1));
    CHECK(c.read_exact(4) == std::string("\x01\x40\x00\xf0", 4));  // 320x240
  }
  {
    // A plaintext RFB client waits for a greeting that never comes: TLS is expected.
    raw_client c(gw.port(), 5s);
    std::string received;
    auto connected = std::chrono::steady_clock::now();
    bool closed_early = c.wait_closed(1500ms, &received);
    INFO("plaintext client: " << c.last_error() << " after "
         << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - connected).count() << " ms");
    CHECK_FALSE(closed_early);
    CHECK(received.find("RFB") == std::string::npos);
    CHECK(received.empty());
    // Its version string is not a ClientHello: the TLS handshake fails and it is cut off.
    REQUIRE(c.send("RFB 003.008\n"));
    CHECK(c.wait_closed(4s, &received));
    CHECK(received.find("RFB") == std::string::npos);
    check_session_outcome(gw, c.source(), "tls_failed");
  }
  CHECK(gw.alive());
  tls_unwrapper unwrap(dir, gw.port(), tls.certificate);
  require_frame(unwrap.port(), login_as(alice, tls), 320, 240);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
