// policy_slowloris_test.cpp — connections that never finish the handshake: 500 silent
// ones are all cut at the handshake timeout while a real client is served meanwhile,
// and the per-source / global caps on connections still in handshake refuse the next
// one at accept, without touching other addresses or authenticated sessions.
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <thread>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

TEST_CASE("policy: slowloris: 500 silent connections are cut at the handshake timeout, a real client is served",
          "[e2e][policy][slowloris]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})},
                            .handshake_timeout = "3s",
                            .policy_lines = {"max_handshakes: 1000", "max_handshakes_per_ip: 600"}});
  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  int baseline = gw.fd_count();

  const std::size_t silent = 500;
  std::vector<std::unique_ptr<raw_client>> idle;
  auto flood_started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < silent; ++i) idle.push_back(std::make_unique<raw_client>(gw.port(), 10s));
  auto flood_done = std::chrono::steady_clock::now();
  INFO("500 connections took " << std::chrono::duration_cast<std::chrono::milliseconds>(flood_done - flood_started).count()
                               << " ms");

  // During the flood, before any of it times out, a real user logs in.
  auto real = vnc_connect(gw.port(), login_as(alice, s.tls), {.source_host = "127.0.0.2"});
  auto served_at = std::chrono::steady_clock::now();
  INFO(real.log_text());
  CHECK(real.full_frame);
  CHECK(served_at - flood_done < 2500ms);
  check_session_outcome(gw, real.source(), "ok");

  // Each silent one got the greeting (it was accepted), then is closed at the timeout.
  std::size_t closed = 0, greeted = 0;
  std::optional<std::chrono::steady_clock::duration> first_close;
  for (auto& c : idle) {
    std::string drained;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(flood_done + 6s - std::chrono::steady_clock::now());
    if (c->wait_closed(std::max(left, 1ms), &drained)) ++closed;
    if (!first_close) first_close = std::chrono::steady_clock::now() - flood_started;
    if (drained == "RFB 003.008\n") ++greeted;
  }
  CHECK(std::chrono::steady_clock::now() - flood_done < 4500ms);
  CHECK(closed == silent);
  CHECK(greeted == silent);
  REQUIRE(first_close);
  CHECK(*first_close >= 2500ms);

  std::set<std::string> sources;
  for (const auto& c : idle) sources.insert(c->source());
  std::size_t timed_out = 0;
  wait_until(  // a client may see its close just before the gateway writes the line
      [&] {
        timed_out = 0;
        for (const auto& e : events_named(gw, "session_end"))
          if (sources.count(text_of(e, "source")) && text_of(e, "outcome") == "handshake_timeout") ++timed_out;
        return timed_out == silent;
      },
      3s);
  CHECK(timed_out == silent);
  idle.clear();

  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("policy: the cap on connections in handshake refuses the next one at accept", "[e2e][policy][slowloris]") {
  const bool per_source = GENERATE(true, false);
  INFO((per_source ? "max_handshakes_per_ip: 3" : "max_handshakes: 3"));
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})},
                            .handshake_timeout = "5s",
                            .policy_lines = {per_source ? "max_handshakes_per_ip: 3" : "max_handshakes: 3"}});
  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  int baseline = gw.fd_count();

  // An authenticated session is no longer in handshake: it takes no place under the cap.
  auto live = vnc_connect(gw.port(), login_as(alice, s.tls), {.while_connected = [&](vnc_live&) {
    std::vector<std::unique_ptr<raw_client>> idle;
    for (int i = 0; i < 3; ++i) {
      idle.push_back(std::make_unique<raw_client>(gw.port()));
      CHECK(idle.back()->read_exact(12) == std::optional<std::string>("RFB 003.008\n"));
    }
    raw_client over(gw.port());
    check_closed_without_a_byte(over);
    check_refused_at_accept(gw, over.source(), gw.port(), "too_many_handshakes");

    // Another address: untouched by the per-source cap, refused by the global one.
    raw_client other(gw.port(), 5s, "127.0.0.2");
    if (per_source) {
      CHECK(other.read_exact(12) == std::optional<std::string>("RFB 003.008\n"));
      check_accepted(gw, other.source());
    } else {
      check_closed_without_a_byte(other);
      check_refused_at_accept(gw, other.source(), gw.port(), "too_many_handshakes");
    }
    other.close();

    // A place comes free when a handshake ends.
    std::string gone = idle.front()->source();
    idle.erase(idle.begin());
    check_session_outcome(gw, gone, "client_closed");
    if (per_source) check_session_outcome(gw, other.source(), "client_closed");
    std::this_thread::sleep_for(200ms);  // the place is given back as the session goes, maybe after its audit line
    raw_client next(gw.port());
    CHECK(next.read_exact(12) == std::optional<std::string>("RFB 003.008\n"));
    check_accepted(gw, next.source());
  }});
  INFO(live.log_text());
  REQUIRE(live.full_frame);
  check_session_outcome(gw, live.source(), "ok");
  check_still_serves(gw, gw.port(), login_as(alice, s.tls), 320, 240);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
