// client_vanishes_test.cpp — a client that goes while the gateway is writing frames to
// it costs only its own session: on the TLS copy path (OpenSSL writes the socket itself)
// and on the splice path, a write into the dead socket is an error for that session
// (SIGPIPE is ignored process-wide, main.cpp), the session ends `ok` with the client's
// reason, and the gateway goes on serving. The client says it is done sending (the
// gateway goes on writing the frames it asked for), reads a little, then closes with
// those frames unread: its kernel answers the next bytes with a reset. Whether the
// gateway writes again after that (the EPIPE that raises SIGPIPE) is a race with Xvnc
// closing on the half-close; gateway_client_stream_test shows the EPIPE directly.
#include <catch2/catch.hpp>

#include "harness/http_get.hpp"
#include "scenario.hpp"
#include "harness/rfb_session.hpp"

#include <thread>

using namespace vncgate::e2e;

namespace {

void vanish_mid_frame(const std::string& security) {
  temp_dir dir;
  auto tls = make_certs(dir);
  // A large desktop: each full frame is several MiB, far more than the sockets buffer.
  xvnc_server desk(dir, {.password = vnc_password, .width = 1600, .height = 1200});
  listener_spec listener{.security = security};
  if (security == "plain") listener.extra_lines = {"client_leg_protected: true"};
  gateway gw(dir, tls, {.listeners = {listener}, .users = {alice}, .targets = {target_for(desk, "desk", {"alice"})}});

  for (int round = 0; round < 3; ++round) {
    raw_client client(gw.port());
    auto login = vencrypt_login(client, alice.name, alice.password, tls.certificate);
    INFO("login: " << login.error << " " << login.reason);
    REQUIRE(login.ok());
    auto init = exchange_init(client);
    REQUIRE(init);
    REQUIRE(send_set_encodings(client, {encoding_raw}));
    // Ask for frames and never read them: the gateway writes until the socket is full,
    // then the client resets the connection under it.
    for (int i = 0; i < 8; ++i) REQUIRE(send_update_request(client, false, init->width, init->height));
    std::this_thread::sleep_for(100ms);
    client.shutdown_send();
    client.wait_closed(300ms);
    const std::string source = client.source();
    client.close();
    auto end = check_session_outcome(gw, source, "ok");
    INFO(boost::json::serialize(end));
    CHECK(text_of(end, "reason").starts_with("client"));  // "client closed": it left first
  }
  CHECK(http_get(gw.metrics_port(), "/healthz").status == 200);
  auto after = vnc_connect(gw.port(), login_as(alice, tls));
  INFO(after.log_text());
  CHECK(after.full_frame);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

}  // namespace

TEST_CASE("a client that resets mid-frame ends only its session: TLS copy path", "[e2e][relay]") {
  vanish_mid_frame("vencrypt");
}

TEST_CASE("a client that resets mid-frame ends only its session: splice path", "[e2e][relay][plain]") {
  vanish_mid_frame("plain");
}
