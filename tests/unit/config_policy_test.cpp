// config_policy_test.cpp — load_config on `policy` sections it accepts: every key read
// back into policy_config, the documented defaults when keys (or the whole section) are
// absent, how rates and bursts default to each other, lockout values at their edges, and
// the session durations. Refusals are in config_policy_errors_test.cpp.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config_test_support.hpp"
#include "policy/address.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;
using namespace std::chrono_literals;

namespace {

vncgate::policy::access_reason verdict(const vncgate::policy::access_rules& rules, const char* text) {
  const auto a = vncgate::policy::parse_address(text);
  REQUIRE(a);
  return rules.evaluate(*a).why;
}

// The policy_config of `policy_text` (the policy section, or "" for none) with the other
// sections valid; fails the test when it does not load.
policy_config policy_of(const std::string& policy_text) {
  config_dir d;
  auto result = d.load(policy_text + rest_without(""));
  if (!result) FAIL(dump(result.error()));
  return std::move(result->policy);
}

}  // namespace

TEST_CASE("every policy key is read back", "[config]") {
  const auto p = policy_of(yaml(R"(
policy:
  allow_cidrs: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]
  deny_cidrs:
    - 10.6.0.0/16
    - "::ffff:10.7.0.0/112"
  greet_refused: true
  connections_per_minute_per_ip: 30
  connection_burst_per_ip: 10
  connections_per_minute: 600
  connection_burst: 100
  max_handshakes: 200
  max_handshakes_per_ip: 8
  handshake_timeout: 20s
  lockout:
    failures: 3
    source_failures: 30
    user_failures: 50
    window: 5m
    duration: 1m
    max_duration: 2h
    backoff_reset: 12h
    reveal: true
  max_sessions: 100
  max_sessions_per_user: 2
  max_sessions_per_target: 10
  idle_timeout: 30m
  max_session: 8h
  end_revoked_sessions: false
)"));
  CHECK(texts(p.addresses.allow) == std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"});
  CHECK(texts(p.addresses.deny) == std::vector<std::string>{"10.6.0.0/16", "10.7.0.0/16"});
  using vncgate::policy::access_reason;
  CHECK(verdict(p.addresses, "10.1.2.3") == access_reason::allow_rule);
  CHECK(verdict(p.addresses, "10.6.2.3") == access_reason::deny_rule);
  CHECK(verdict(p.addresses, "::ffff:10.7.0.1") == access_reason::deny_rule);  // a mapped peer
  CHECK(verdict(p.addresses, "192.0.2.8") == access_reason::not_in_allow);
  CHECK(verdict(p.addresses, "2001:db8::1") == access_reason::allow_rule);
  CHECK(p.greet_refused);

  REQUIRE(p.per_source_rate);
  CHECK(p.per_source_rate->rate.tokens == 30);
  CHECK(p.per_source_rate->rate.per == 1min);
  CHECK(p.per_source_rate->rate.burst == 10);
  CHECK(p.per_source_rate->v6_prefix == 64);  // IPv6 sources counted per /64
  REQUIRE(p.global_rate);
  CHECK(p.global_rate->tokens == 600);
  CHECK(p.global_rate->per == 1min);
  CHECK(p.global_rate->burst == 100);
  CHECK(p.max_handshakes == 200);
  CHECK(p.max_handshakes_per_ip == 8);
  CHECK(p.handshake_timeout == 20s);

  CHECK(p.lockout.failures == 3);
  CHECK(p.lockout.source_failures == 30);
  CHECK(p.lockout.user_failures == 50);
  CHECK(p.lockout.window == 5min);
  CHECK(p.lockout.duration == 1min);
  CHECK(p.lockout.max_duration == 2h);
  CHECK(p.lockout.backoff_reset == 12h);
  CHECK(p.reveal_lockout);

  CHECK(p.sessions.global == 100);
  CHECK(p.sessions.per_user == 2);
  CHECK(p.sessions.per_target == 10);
  CHECK(p.sessions.target_limits.empty());
  CHECK(p.idle_timeout == 30min);
  CHECK(p.max_session == 8h);
  CHECK_FALSE(p.end_revoked_sessions);
}

TEST_CASE("policy defaults, with no policy section or an empty one", "[config]") {
  const std::string text = GENERATE(std::string(""), std::string("policy: {}\n"),
                                    std::string("policy:\n  lockout: {}\n"));
  CAPTURE(text);
  const auto p = policy_of(text);
  CHECK(p.addresses.allow.empty());
  CHECK(p.addresses.deny.empty());
  CHECK_FALSE(p.greet_refused);
  REQUIRE(p.per_source_rate);
  CHECK(p.per_source_rate->rate.tokens == 60);
  CHECK(p.per_source_rate->rate.per == 1min);
  CHECK(p.per_source_rate->rate.burst == 20);
  CHECK_FALSE(p.global_rate);
  CHECK(p.max_handshakes == 1024);
  CHECK(p.max_handshakes_per_ip == 32);
  CHECK(p.handshake_timeout == 10s);
  CHECK(p.lockout.failures == 5);
  CHECK(p.lockout.source_failures == 20);
  CHECK(p.lockout.user_failures == 0);
  CHECK(p.lockout.window == 10min);
  CHECK(p.lockout.duration == 15min);
  CHECK(p.lockout.max_duration == 24h);
  CHECK(p.lockout.backoff_reset == 24h);
  CHECK_FALSE(p.reveal_lockout);
  CHECK(p.sessions.global == 0);
  CHECK(p.sessions.per_user == 0);
  CHECK(p.sessions.per_target == 0);
  CHECK(p.idle_timeout == 0ms);
  CHECK(p.max_session == 0ms);
  CHECK(p.end_revoked_sessions);
}

TEST_CASE("connection rates and their bursts", "[config]") {
  struct rate {
    std::uint64_t tokens;
    std::uint64_t burst;
  };
  struct row {
    const char* lines;
    std::optional<rate> per_source;
    std::optional<rate> global;
  };
  const auto r = GENERATE(values<row>({
      {"", rate{60, 20}, std::nullopt},
      {"  connections_per_minute_per_ip: 0\n", std::nullopt, std::nullopt},
      {"  connections_per_minute_per_ip: 30\n", rate{30, 20}, std::nullopt},  // burst keeps its default
      {"  connection_burst_per_ip: 5\n", rate{60, 5}, std::nullopt},         // rate keeps its default
      {"  connections_per_minute_per_ip: 1\n  connection_burst_per_ip: 1\n", rate{1, 1}, std::nullopt},
      {"  connections_per_minute_per_ip: 1000000\n  connection_burst_per_ip: 1000000\n", rate{1000000, 1000000},
       std::nullopt},
      {"  connections_per_minute: 0\n", rate{60, 20}, std::nullopt},
      {"  connections_per_minute: 600\n", rate{60, 20}, rate{600, 600}},  // one minute's worth
      {"  connections_per_minute: 600\n  connection_burst: 7\n", rate{60, 20}, rate{600, 7}},
      {"  connections_per_minute: 10000000\n  connection_burst: 10000000\n", rate{60, 20}, rate{10000000, 10000000}},
      {"  connections_per_minute_per_ip: 0\n  connections_per_minute: 1\n", std::nullopt, rate{1, 1}},
  }));
  CAPTURE(r.lines);
  const auto p = policy_of(std::string("policy:\n") + r.lines + "  handshake_timeout: 10s\n");
  CHECK(p.per_source_rate.has_value() == r.per_source.has_value());
  if (p.per_source_rate && r.per_source) {
    CHECK(p.per_source_rate->rate.tokens == r.per_source->tokens);
    CHECK(p.per_source_rate->rate.burst == r.per_source->burst);
    CHECK(p.per_source_rate->rate.per == 1min);
  }
  CHECK(p.global_rate.has_value() == r.global.has_value());
  if (p.global_rate && r.global) {
    CHECK(p.global_rate->tokens == r.global->tokens);
    CHECK(p.global_rate->burst == r.global->burst);
    CHECK(p.global_rate->per == 1min);
  }
}

TEST_CASE("lockout values at the edges of their ranges", "[config]") {
  SECTION("lowest") {
    const auto p = policy_of(
        "policy:\n  lockout: { failures: 1, source_failures: 1, user_failures: 1, window: 1s, duration: 1s, "
        "max_duration: 1000ms, backoff_reset: 1s, reveal: false }\n");
    CHECK(p.lockout.failures == 1);
    CHECK(p.lockout.source_failures == 1);
    CHECK(p.lockout.user_failures == 1);
    CHECK(p.lockout.window == 1s);
    CHECK(p.lockout.duration == 1s);
    CHECK(p.lockout.max_duration == 1s);  // 1000ms is a whole second
    CHECK(p.lockout.backoff_reset == 1s);
    CHECK_FALSE(p.reveal_lockout);
  }
  SECTION("highest") {
    const auto p = policy_of(
        "policy:\n  lockout: { failures: 1000, source_failures: 100000, user_failures: 100000, window: 720h, "
        "duration: 719h59m59s, max_duration: 720h, backoff_reset: 720h }\n");
    CHECK(p.lockout.failures == 1000);
    CHECK(p.lockout.source_failures == 100000);
    CHECK(p.lockout.user_failures == 100000);
    CHECK(p.lockout.window == 720h);
    CHECK(p.lockout.duration == 720h - 1s);
    CHECK(p.lockout.max_duration == 720h);
    CHECK(p.lockout.backoff_reset == 720h);
  }
  SECTION("failures: 0 turns lockout off; the other thresholds may then be anything") {
    const auto p = policy_of("policy:\n  lockout: { failures: 0, source_failures: 3 }\n");
    CHECK(p.lockout.failures == 0);
    CHECK(p.lockout.source_failures == 3);
  }
  SECTION("source_failures: 0 turns the per-source key off") {
    const auto p = policy_of("policy:\n  lockout: { failures: 10, source_failures: 0 }\n");
    CHECK(p.lockout.failures == 10);
    CHECK(p.lockout.source_failures == 0);
    CHECK(p.lockout.user_failures == 0);
  }
  SECTION("thresholds equal to failures") {
    const auto p = policy_of("policy:\n  lockout: { failures: 7, source_failures: 7, user_failures: 7 }\n");
    CHECK(p.lockout.source_failures == 7);
    CHECK(p.lockout.user_failures == 7);
  }
}

TEST_CASE("handshake and session caps at their edges", "[config]") {
  const auto low = policy_of(
      "policy:\n  max_handshakes: 0\n  max_handshakes_per_ip: 0\n  max_sessions: 0\n  max_sessions_per_user: 0\n"
      "  max_sessions_per_target: 0\n");
  CHECK(low.max_handshakes == 0);
  CHECK(low.max_handshakes_per_ip == 0);
  CHECK(low.sessions.global == 0);
  const auto high = policy_of(
      "policy:\n  max_handshakes: 1000000\n  max_handshakes_per_ip: 1000000\n  max_sessions: 1000000\n"
      "  max_sessions_per_user: 1000000\n  max_sessions_per_target: 1000000\n");
  CHECK(high.max_handshakes == 1000000);
  CHECK(high.max_handshakes_per_ip == 1000000);
  CHECK(high.sessions.global == 1000000);
  CHECK(high.sessions.per_user == 1000000);
  CHECK(high.sessions.per_target == 1000000);
}

TEST_CASE("idle_timeout and max_session: 0 or 1s to 720h", "[config]") {
  struct row {
    const char* text;
    std::chrono::milliseconds value;
  };
  const auto r = GENERATE(values<row>({{"0", 0ms}, {"1s", 1s}, {"1500ms", 1500ms}, {"30m", 30min},
                                       {"8h", 8h}, {"720h", 720h}, {"719h59m59s999ms", 720h - 1ms}}));
  CAPTURE(r.text);
  const auto p = policy_of(std::string("policy:\n  idle_timeout: ") + r.text + "\n  max_session: " + r.text + "\n");
  CHECK(p.idle_timeout == r.value);
  CHECK(p.max_session == r.value);
}
