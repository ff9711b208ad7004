// gateway::admission: the order of the checks at accept, the handshake caps and their
// tickets, and what a reload keeps.
#include <catch2/catch.hpp>
#include <optional>
#include <vector>

#include "gateway/admission.hpp"

using namespace vncgate;
using gateway::admission;
using gateway::handshake_ticket;

namespace {

policy::address ip(std::string_view text) { return *policy::parse_address(text); }
policy::cidr range(std::string_view text) { return *policy::parse_cidr(text).value; }

gateway::policy_config open_policy() {
  gateway::policy_config p;
  p.per_source_rate.reset();
  p.max_handshakes = 0;
  p.max_handshakes_per_ip = 0;
  return p;
}

gateway::listener_config listener_on(std::string host) {
  gateway::listener_config l;
  l.address = {std::move(host), 5990};
  return l;
}

const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);

}  // namespace

TEST_CASE("admission: global and listener address rules both apply, deny first", "[admission]") {
  auto p = open_policy();
  p.addresses.allow = {range("10.0.0.0/8"), range("2001:db8::/32")};
  p.addresses.deny = {range("10.9.0.0/16")};
  auto l = listener_on("0.0.0.0");
  l.addresses.deny = {range("10.1.0.0/16")};
  admission gate(p);

  CHECK(gate.admit(ip("10.2.3.4"), l, p, t0).has_value());
  CHECK(gate.admit(ip("::ffff:10.2.3.4"), l, p, t0).has_value());
  CHECK(gate.admit(ip("2001:db8::7"), l, p, t0).has_value());

  auto global_deny = gate.admit(ip("10.9.1.1"), l, p, t0);
  REQUIRE_FALSE(global_deny.has_value());
  CHECK(global_deny.error().reason == "address_denied");
  CHECK(global_deny.error().detail == "matches deny_cidrs 10.9.0.0/16 (policy)");

  auto outside = gate.admit(ip("192.0.2.1"), l, p, t0);
  REQUIRE_FALSE(outside.has_value());
  CHECK(outside.error().detail == "not in allow_cidrs (policy)");

  auto listener_deny = gate.admit(ip("10.1.2.3"), l, p, t0);
  REQUIRE_FALSE(listener_deny.has_value());
  CHECK(listener_deny.error().detail == "matches deny_cidrs 10.1.0.0/16 (listener 0.0.0.0:5990)");
}

TEST_CASE("admission: the per-source rate counts IPv6 per /64 and spares other sources", "[admission]") {
  auto p = open_policy();
  p.per_source_rate = policy::keyed_rate_limit{.rate = {.tokens = 60, .per = std::chrono::minutes(1), .burst = 3}};
  auto l = listener_on("::");
  admission gate(p);

  for (int i = 0; i < 3; ++i) CHECK(gate.admit(ip("2001:db8:1:2::" + std::to_string(i + 1)), l, p, t0).has_value());
  auto fourth = gate.admit(ip("2001:db8:1:2:ffff::9"), l, p, t0);
  REQUIRE_FALSE(fourth.has_value());
  CHECK(fourth.error().reason == "rate_limited");
  CHECK(gate.admit(ip("2001:db8:1:3::1"), l, p, t0).has_value());
  // One token a second: back one second later, not a nanosecond earlier.
  CHECK_FALSE(gate.admit(ip("2001:db8:1:2::1"), l, p, t0 + std::chrono::milliseconds(999)).has_value());
  CHECK(gate.admit(ip("2001:db8:1:2::1"), l, p, t0 + std::chrono::seconds(1)).has_value());
}

TEST_CASE("admission: the global rate refuses every source once spent", "[admission]") {
  auto p = open_policy();
  p.global_rate = policy::rate_limit{.tokens = 10, .per = std::chrono::minutes(1), .burst = 2};
  auto l = listener_on("0.0.0.0");
  admission gate(p);
  CHECK(gate.admit(ip("192.0.2.1"), l, p, t0).has_value());
  CHECK(gate.admit(ip("192.0.2.2"), l, p, t0).has_value());
  auto third = gate.admit(ip("192.0.2.3"), l, p, t0);
  REQUIRE_FALSE(third.has_value());
  CHECK(third.error().detail == "over connections_per_minute (all sources)");
}

TEST_CASE("admission: handshake caps hold a place per ticket until it is released", "[admission]") {
  auto p = open_policy();
  p.max_handshakes = 3;
  p.max_handshakes_per_ip = 2;
  auto l = listener_on("0.0.0.0");
  admission gate(p);

  std::vector<handshake_ticket> held;
  for (int i = 0; i < 2; ++i) {
    auto t = gate.admit(ip("192.0.2.1"), l, p, t0);
    REQUIRE(t.has_value());
    held.push_back(std::move(*t));
  }
  auto third_same = gate.admit(ip("192.0.2.1"), l, p, t0);
  REQUIRE_FALSE(third_same.has_value());
  CHECK(third_same.error().reason == "too_many_handshakes");
  CHECK(third_same.error().detail.find("max_handshakes_per_ip (2)") == 0);

  auto other = gate.admit(ip("192.0.2.2"), l, p, t0);
  REQUIRE(other.has_value());
  auto fourth = gate.admit(ip("192.0.2.3"), l, p, t0);
  REQUIRE_FALSE(fourth.has_value());
  CHECK(fourth.error().detail.find("max_handshakes (3)") == 0);

  held.front().release();
  held.front().release();  // once only
  CHECK(gate.admit(ip("192.0.2.1"), l, p, t0).has_value());  // a temporary: released at once
  // Held now: the second ticket of .1 and the one of .2, moved (a move holds one place).
  std::optional<handshake_ticket> moved(std::move(*other));
  auto third = gate.admit(ip("192.0.2.3"), l, p, t0);
  REQUIRE(third.has_value());
  CHECK_FALSE(gate.admit(ip("192.0.2.4"), l, p, t0).has_value());
  moved.reset();
  CHECK(gate.admit(ip("192.0.2.4"), l, p, t0).has_value());
}

TEST_CASE("admission: a reload keeps unchanged rate buckets and resets changed ones", "[admission]") {
  auto p = open_policy();
  p.per_source_rate = policy::keyed_rate_limit{.rate = {.tokens = 1, .per = std::chrono::hours(1), .burst = 1}};
  auto l = listener_on("0.0.0.0");
  admission gate(p);
  REQUIRE(gate.admit(ip("192.0.2.1"), l, p, t0).has_value());
  REQUIRE_FALSE(gate.admit(ip("192.0.2.1"), l, p, t0).has_value());

  gate.reconfigure(p);  // same limits: still spent
  CHECK_FALSE(gate.admit(ip("192.0.2.1"), l, p, t0).has_value());

  p.per_source_rate->rate.burst = 2;  // new limits: a fresh table
  gate.reconfigure(p);
  CHECK(gate.admit(ip("192.0.2.1"), l, p, t0).has_value());
}

TEST_CASE("admission: lockout keys name IPv4 addresses and IPv6 /64 prefixes", "[admission]") {
  CHECK(admission::source_key(ip("192.0.2.7")) == "192.0.2.7");
  CHECK(admission::source_key(ip("::ffff:192.0.2.7")) == "192.0.2.7");
  CHECK(admission::source_key(ip("2001:db8:1:2:3:4:5:6")) == "2001:db8:1:2::/64");
}
