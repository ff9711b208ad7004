// config_rules_test.cpp — the access and session keys of listeners and targets: address
// lists and greet_refused on a listener; deny, view_only, block_paste, max_sessions,
// idle_timeout and max_session on a target. Read back when valid (absent keys included),
// and each refusal placed at its line:column.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config_test_support.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;
using namespace std::chrono_literals;

namespace {

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("listener address rules and greet_refused are read back", "[config]") {
  config_dir d;
  const auto result = d.load(yaml(R"(
listeners:
  - address: 0.0.0.0:5900
    security: vencrypt
    allow_cidrs: [192.0.2.0/24, "2001:db8:1::/48"]
    deny_cidrs: [192.0.2.128/25]
    greet_refused: true
  - address: 0.0.0.0:5901
    security: tls
    greet_refused: false
    allow_cidrs: []
  - address: 0.0.0.0:5902
    security: vencrypt
policy:
  allow_cidrs: [10.0.0.0/8]
  greet_refused: true
)") + rest_without("listeners"));
  if (!result) FAIL(dump(result.error()));
  const auto& l = result->listeners;
  REQUIRE(l.size() == 3);
  CHECK(texts(l[0].addresses.allow) == strings{"192.0.2.0/24", "2001:db8:1::/48"});
  CHECK(texts(l[0].addresses.deny) == strings{"192.0.2.128/25"});
  CHECK(l[0].greet_refused == std::optional<bool>(true));
  CHECK(l[1].addresses.allow.empty());  // an empty list: no rule of its own
  CHECK(l[1].addresses.deny.empty());
  CHECK(l[1].greet_refused == std::optional<bool>(false));
  CHECK(l[2].addresses.allow.empty());
  CHECK_FALSE(l[2].greet_refused);  // absent: the policy's value applies
  // The global rules stay the global rules.
  CHECK(texts(result->policy.addresses.allow) == strings{"10.0.0.0/8"});
  CHECK(result->policy.greet_refused);
}

TEST_CASE("target access and session keys are read back", "[config]") {
  config_dir d;
  const auto result = d.load(yaml(R"(
targets:
  - name: design-ws
    host: h
    port: 5901
    allow: { users: [alice], groups: [designers] }
    deny: { users: [mallory], groups: [contractors] }
    view_only: { groups: [auditors] }
    block_paste: { users: ["*"] }
    max_sessions: 3
    idle_timeout: 10m
    max_session: 0
  - name: plain
    host: h
    port: 5902
    allow: { users: ["*"] }
  - name: kiosk
    host: h
    port: 5903
    allow: { groups: [staff] }
    deny: { groups: [] }
    view_only: { users: ["*"], groups: [] }
    max_sessions: 0
    max_session: 8h
policy:
  max_sessions_per_target: 5
)") + rest_without("targets"));
  if (!result) FAIL(dump(result.error()));
  const auto& t = result->targets;
  REQUIRE(t.size() == 3);
  CHECK(t[0].deny.users == strings{"mallory"});
  CHECK(t[0].deny.groups == strings{"contractors"});
  CHECK(t[0].view_only.users.empty());
  CHECK(t[0].view_only.groups == strings{"auditors"});
  CHECK(t[0].block_paste.users == strings{"*"});
  CHECK(t[0].idle_timeout == std::optional<std::chrono::milliseconds>(10min));
  CHECK(t[0].max_session == std::optional<std::chrono::milliseconds>(0ms));  // 0: none, overriding policy

  // Absent keys: nobody denied, nobody view-only or blocked, the policy's durations.
  for (const auto* list : {&t[1].deny, &t[1].view_only, &t[1].block_paste}) {
    CHECK(list->users.empty());
    CHECK(list->groups.empty());
  }
  CHECK_FALSE(t[1].idle_timeout);
  CHECK_FALSE(t[1].max_session);

  CHECK(t[2].deny.groups.empty());
  CHECK(t[2].view_only.users == strings{"*"});
  CHECK(t[2].max_session == std::optional<std::chrono::milliseconds>(8h));

  // max_sessions lands in the session limits, by target name; absent: no entry.
  const auto& limits = result->policy.sessions;
  CHECK(limits.per_target == 5);
  CHECK(limits.target_limits.size() == 2);
  CHECK(limits.target_limits.at("design-ws") == 3);
  CHECK(limits.target_limits.at("kiosk") == 0);  // unlimited, whatever per_target says
  CHECK(limits.target_limits.count("plain") == 0);

  // The rules choose_target sees carry the deny lists.
  REQUIRE(result->target_rules.size() == 3);
  CHECK(result->target_rules[0].deny.users == strings{"mallory"});
  CHECK(result->target_rules[0].deny.groups == strings{"contractors"});
  const strings contractor{"designers", "contractors"};
  CHECK_FALSE(result->target_rules[0].admits("bob", contractor));
  CHECK(result->target_rules[0].admits("bob", strings{"designers"}));
  CHECK_FALSE(result->target_rules[0].admits("mallory", strings{"designers"}));
}

TEST_CASE("listener rule errors", "[config]") {
  // listener_head is 2 lines; line 3 is its security, line 4 the key under test.
  const std::string vencrypt = listener_head + "    security: vencrypt\n";
  check_case(GENERATE_COPY(values<error_case>({
      {"listeners", vencrypt + "    allow_cidrs: [10.0.0.0/8, 300.0.0.0/8]\n", 4, 31,
       "expected an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32"},
      {"listeners", vencrypt + "    allow_cidrs: [192.0.2.1/24]\n", 4, 19,
       "bits are set after the prefix length /24: write the network address, 192.0.2.0/24"},
      {"listeners", vencrypt + "    deny_cidrs: 10.0.0.0/8\n", 4, 17,
       "expected a list of addresses or CIDR ranges for deny_cidrs"},
      {"listeners", vencrypt + "    deny_cidrs:\n      - \"::1/129\"\n", 5, 9,
       "the prefix length after '/' must be a number from 0 to 128"},
      {"listeners", vencrypt + "    greet_refused: on\n", 4, 20, "expected true or false for greet_refused"},
      {"listeners", listener_head + "    security: tls\n    greet_refused: true\n", 4, 20,
       "greet_refused: true is only valid with security: vencrypt"},
  })));
}

TEST_CASE("target rule errors", "[config]") {
  // one_target() is 5 lines; line 6 is the key under test.
  check_case(GENERATE(values<error_case>({
      {"targets", one_target() + "    deny: {}\n", 6, 11, "deny needs users, groups or both"},
      {"targets", one_target() + "    deny: [alice]\n", 6, 11, "expected a mapping for deny"},
      {"targets", one_target() + "    deny: { groups: [\"\"] }\n", 6, 22, "expected a list of strings for groups"},
      {"targets", one_target() + "    view_only: { users: bob }\n", 6, 25, "expected a list of strings for users"},
      {"targets", one_target() + "    view_only:\n", 6, 5, "expected a mapping for view_only"},
      {"targets", one_target() + "    block_paste: { roles: [x] }\n", 6, 20,
       "unknown key 'roles' in block_paste; expected one of: users, groups"},
      {"targets", one_target() + "    block_paste: {}\n", 6, 18, "block_paste needs users, groups or both"},
      {"targets", one_target() + "    max_sessions: -1\n", 6, 19,
       "expected an integer from 0 to 1000000 for max_sessions"},
      {"targets", one_target() + "    max_sessions: 1000001\n", 6, 19,
       "expected an integer from 0 to 1000000 for max_sessions"},
      {"targets", one_target() + "    idle_timeout: 0.5s\n", 6, 19,
       "expected a duration such as 500ms, 10s, 5m or 8h for idle_timeout"},
      {"targets", one_target() + "    idle_timeout: 10ms\n", 6, 19,
       "expected 0 (none) or a duration from 1s to 720h for idle_timeout"},
      {"targets", one_target() + "    max_session: 800h\n", 6, 18,
       "expected 0 (none) or a duration from 1s to 720h for max_session"},
      {"targets", one_target() + "    view_onyl: { users: [a] }\n", 6, 5, "did you mean 'view_only'?"},
  })));
}
