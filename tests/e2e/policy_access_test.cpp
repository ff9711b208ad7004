// policy_access_test.cpp — refusals at accept, before any byte is sent: CIDR deny and
// allow lists (global and per listener), per-source and global connection rate limits
// at their boundaries, and greet_refused, which answers with an RFB 3.8 failure instead
// of closing. Every refusal leaves exactly one connection_refused audit line and no
// session; other addresses and listeners keep being served.
#include <catch2/catch.hpp>
#include <memory>
#include <thread>

#include "harness/loopback.hpp"
#include "scenario.hpp"

using namespace vncgate::e2e;

namespace {

const std::string greeting = "RFB 003.008\n";

bool greeted(raw_client& c) { return c.read_exact(12) == std::optional<std::string>(greeting); }

// A libvncclient login from `source_host` on `port` gets the whole desktop.
void check_served_from(gateway& gw, std::uint16_t port, const std::string& source_host, const certs& tls) {
  INFO("served from " << source_host << " on port " << port);
  auto r = vnc_connect(port, login_as(alice, tls), {.source_host = source_host});
  INFO(r.log_text());
  CHECK(r.full_frame);
  check_session_outcome(gw, r.source(), "ok");
}

}  // namespace

TEST_CASE("policy: a denied address is closed before any byte, globally and per listener", "[e2e][policy][access]") {
  small_desk_setup s;
  listener_spec guarded{.extra_lines = {"deny_cidrs: [127.0.0.3/32]"}};
  gateway gw(s.dir, s.tls, {.listeners = {listener_spec{}, guarded}, .users = {alice},
                            .targets = {target_for(s.desk, "desk", {"alice"})},
                            .policy_lines = {"deny_cidrs: [127.0.0.2/32]"}});
  check_still_serves(gw, gw.port(0), login_as(alice, s.tls), 320, 240);
  int baseline = gw.fd_count();

  for (std::size_t listener : {0u, 1u}) {  // the global rule holds on every listener
    raw_client denied(gw.port(listener), 5s, "127.0.0.2");
    check_closed_without_a_byte(denied);
    check_refused_at_accept(gw, denied.source(), gw.port(listener), "address_denied");
  }
  {
    raw_client denied_here(gw.port(1), 5s, "127.0.0.3");
    check_closed_without_a_byte(denied_here);
    check_refused_at_accept(gw, denied_here.source(), gw.port(1), "address_denied");
  }
  check_served_from(gw, gw.port(0), "127.0.0.3", s.tls);  // the listener rule is that listener's only
  check_served_from(gw, gw.port(1), "127.0.0.1", s.tls);
  check_served_from(gw, gw.port(0), "127.0.0.1", s.tls);
  check_fds_settle(gw, baseline);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("policy: allow_cidrs admits only the addresses listed", "[e2e][policy][access]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})},
                            .policy_lines = {"allow_cidrs: [127.0.0.1/32, 127.0.0.4/31]"}});
  for (const std::string outside : {"127.0.0.3", "127.0.0.6"}) {
    raw_client c(gw.port(), 5s, outside);
    check_closed_without_a_byte(c);
    check_refused_at_accept(gw, c.source(), gw.port(), "address_denied");
  }
  check_served_from(gw, gw.port(), "127.0.0.1", s.tls);
  check_served_from(gw, gw.port(), "127.0.0.5", s.tls);  // inside 127.0.0.4/31
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("policy: greet_refused answers a refused address with an RFB failure", "[e2e][policy][access]") {
  small_desk_setup s;
  listener_spec quiet{.extra_lines = {"greet_refused: false"}};
  gateway gw(s.dir, s.tls, {.listeners = {listener_spec{}, quiet}, .users = {alice},
                            .targets = {target_for(s.desk, "desk", {"alice"})},
                            .policy_lines = {"deny_cidrs: [127.0.0.2/32]", "greet_refused: true"}});
  {
    raw_client c(gw.port(0), 5s, "127.0.0.2");
    std::string why;
    auto reason = greeting_refusal(c, &why);
    INFO(why);
    CHECK(reason == std::optional<std::string>("connection refused"));
    CHECK(c.wait_closed(3s));
    check_refused_at_accept(gw, c.source(), gw.port(0), "address_denied");
  }
  {
    raw_client c(gw.port(1), 5s, "127.0.0.2");  // this listener overrides: close without a word
    check_closed_without_a_byte(c);
    check_refused_at_accept(gw, c.source(), gw.port(1), "address_denied");
  }
  check_served_from(gw, gw.port(0), "127.0.0.1", s.tls);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("policy: per-source rate limit: the burst is accepted, the next refused, others unaffected",
          "[e2e][policy][access]") {
  const bool greet = GENERATE(false, true);
  INFO("greet_refused: " << greet);
  small_desk_setup s;
  std::vector<std::string> policy = {"connections_per_minute_per_ip: 60", "connection_burst_per_ip: 5"};
  if (greet) policy.push_back("greet_refused: true");
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})},
                            .policy_lines = policy});

  // Six quick connections, one after the other (well inside the second that refills a
  // token); each of the first five is seen accepted before the next one dials, since
  // the gateway's acceptors may take simultaneous connections in any order.
  // A refused connection is greeted too when greet_refused is on: accepted means that
  // security types are offered after the version exchange.
  auto admitted = [&](raw_client& c) {
    if (!greet) return greeted(c);
    return exchange_versions(c, greeting) && c.read_u8() == std::optional<std::uint8_t>(1);
  };
  std::vector<std::unique_ptr<raw_client>> burst;
  for (int i = 0; i < 5; ++i) {
    INFO("connection " << i + 1);
    burst.push_back(std::make_unique<raw_client>(gw.port()));
    CHECK(admitted(*burst.back()));
  }
  raw_client sixth(gw.port());
  auto refused_at = std::chrono::steady_clock::now();
  if (greet) {
    std::string why;
    auto reason = greeting_refusal(sixth, &why);
    INFO(why);
    CHECK(reason == std::optional<std::string>("too many connections; try again later"));
    CHECK(sixth.wait_closed(3s));
  } else {
    check_closed_without_a_byte(sixth);
  }
  check_refused_at_accept(gw, sixth.source(), gw.port(), "rate_limited");
  for (const auto& c : burst) check_accepted(gw, c->source());

  // Another address has its own bucket.
  check_served_from(gw, gw.port(), "127.0.0.2", s.tls);
  // A rate, not a ban: a second later one token is back.
  burst.clear();
  std::this_thread::sleep_until(refused_at + 1200ms);
  raw_client later(gw.port());
  CHECK(admitted(later));
  check_accepted(gw, later.source());
  later.close();
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("policy: global rate limit: the burst is shared by every address", "[e2e][policy][access]") {
  small_desk_setup s;
  gateway gw(s.dir, s.tls, {.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})},
                            .policy_lines = {"connections_per_minute: 6", "connection_burst: 3"}});
  std::vector<std::unique_ptr<raw_client>> first;
  for (const std::string from : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
    first.push_back(std::make_unique<raw_client>(gw.port(), 5s, from));
    INFO("client " << first.back()->source());
    CHECK(greeted(*first.back()));
    check_accepted(gw, first.back()->source());
  }
  raw_client fourth(gw.port(), 5s, "127.0.0.4");
  check_closed_without_a_byte(fourth);
  check_refused_at_accept(gw, fourth.source(), gw.port(), "rate_limited");
  std::vector<std::string> sources;
  for (const auto& c : first) sources.push_back(c->source());
  first.clear();
  for (const auto& source : sources) check_session_outcome(gw, source, "client_closed");
  // 6 per minute: the next token comes after 10 s, so the gateway refuses 127.0.0.1 too now.
  raw_client again(gw.port());
  check_closed_without_a_byte(again);
  check_refused_at_accept(gw, again.source(), gw.port(), "rate_limited");
  check_clean_shutdown(gw, {alice.password, vnc_password});
}

TEST_CASE("policy: a reload applies new address rules to the next connection", "[e2e][policy][access][reload]") {
  small_desk_setup s;
  gateway_options options{.users = {alice}, .targets = {target_for(s.desk, "desk", {"alice"})}};
  gateway gw(s.dir, s.tls, options);
  check_served_from(gw, gw.port(), "127.0.0.2", s.tls);

  options.policy_lines = {"deny_cidrs: [127.0.0.2/32]"};
  REQUIRE(gw.reload(options));
  {
    raw_client denied(gw.port(), 5s, "127.0.0.2");
    check_closed_without_a_byte(denied);
    check_refused_at_accept(gw, denied.source(), gw.port(), "address_denied");
  }
  check_served_from(gw, gw.port(), "127.0.0.1", s.tls);

  options.policy_lines = {};
  REQUIRE(gw.reload(options));
  check_served_from(gw, gw.port(), "127.0.0.2", s.tls);
  check_clean_shutdown(gw, {alice.password, vnc_password});
}
