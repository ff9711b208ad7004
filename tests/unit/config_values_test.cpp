// config_values_test.cpp — load_config checks each value against its type and range, and
// places the error at the value (or at its key when the value is missing): target keys,
// the target name, display, booleans, listener addresses and durations.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "config_test_support.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;
using namespace std::chrono_literals;

TEST_CASE("target values", "[config]") {
  // target_head is 3 lines, target_without_allow 4, one_target() 5.
  check_case(GENERATE(values<error_case>({
      {"targets", target_head + "    display: 1\n    port: 5901\n    allow: { users: [x] }\n", 5, 11,
       "give either display or port for a target, not both"},
      {"targets", target_head + "    allow: { users: [x] }\n", 2, 5, "target is missing 'display' or 'port'"},
      {"targets", target_head + "    port: 0\n    allow: { users: [x] }\n", 4, 11,
       "expected an integer from 1 to 65535 for port"},
      {"targets", target_head + "    port: 70000\n    allow: { users: [x] }\n", 4, 11,
       "expected an integer from 1 to 65535 for port"},
      {"targets", target_without_allow + "    allow: {}\n", 5, 12, "allow needs users, groups or both"},
      {"targets", target_without_allow + "    allow: [alice]\n", 5, 12, "expected a mapping for allow"},
      {"targets", target_without_allow + "    allow: { users: alice }\n", 5, 21,
       "expected a list of strings for users"},
      {"targets", target_without_allow + "    allow: { users: [[a]] }\n", 5, 22,
       "expected a list of strings for users"},
      {"targets", target_without_allow + "    allow: { groups: [\"\"] }\n", 5, 23,
       "expected a list of strings for groups"},
      {"targets", target_without_allow + "    allow: { users: [a], roles: [b] }\n", 5, 26,
       "unknown key 'roles' in allow; expected one of: users, groups"},
      {"targets", one_target() + "    shared: yes\n", 6, 13, "expected true or false for shared"},
      {"targets", one_target() + "    connect_timeout: 6m\n", 6, 22,
       "expected a duration from 1ms to 5m for connect_timeout"},
      {"targets", one_target("a b"), 2, 11,
       "expected a target name of 1 to 64 letters, digits, '.', '_' or '-' for name"},
      {"targets", one_target("a/b"), 2, 11, "expected a target name of 1 to 64"},
      {"targets", "targets:\n  - name: a\n    hots: h\n    port: 5901\n    allow: { users: [a] }\n", 3, 5,
       "unknown key 'hots' in target; expected one of: name, host, display, port, password_file, allow, "
       "deny, view_only, block_paste, max_sessions, idle_timeout, max_session, shared, connect_timeout, "
       "second_factor; "
       "did you mean 'host'?"},
      {"targets", one_target("a", "\"\""), 3, 11, "expected a non-empty string for host"},
  })));
}

TEST_CASE("a target name is at most 64 characters", "[config]") {
  config_dir d;
  check_case(d, {"targets", one_target(std::string(65, 'n')), 2, 11, "expected a target name of 1 to 64"});
  auto ok = d.load(one_target(std::string(64, 'n')) + rest_without("targets"));
  CHECK(ok.has_value());
}

TEST_CASE("display must be an integer from 0 to 99", "[config]") {
  const std::string value = GENERATE("100", "-1", "1.5", "abc", "0x1", "[1]", "{a: 1}", "\"\"",
                                     "99999999999999999999", "1e1", "+1");
  check_case({"targets",
              "targets:\n  - name: only\n    host: h\n    display: " + value + "\n    allow: { users: [a] }\n", 4, 14,
              "expected an integer from 0 to 99 for display"});
}

TEST_CASE("an empty value is reported at its key", "[config]") {
  check_case({"targets", "targets:\n  - name: only\n    host: h\n    display:\n    allow: { users: [a] }\n", 4, 5,
              "expected an integer from 0 to 99 for display"});
}

TEST_CASE("booleans are true or false only", "[config]") {
  const std::string value = GENERATE("yes", "no", "on", "off", "1", "0", "maybe", "[true]", "y");
  check_case({"listeners", listener_head + "    security: vencrypt\n    allow_anonymous_tls: " + value + "\n", 4, 26,
              "expected true or false for allow_anonymous_tls"});
}

TEST_CASE("listener addresses", "[config]") {
  struct row {
    const char* value;
    const char* message;
  };
  const auto r = GENERATE(values<row>({
      {"0.0.0.0", "expected host:port for address, such as 0.0.0.0:5900 or [::]:5900"},
      {"0.0.0.0:0", "expected a port from 1 to 65535 in address"},
      {"0.0.0.0:65536", "expected a port from 1 to 65535 in address"},
      {"0.0.0.0:59a", "expected a port from 1 to 65535 in address"},
      {"0.0.0.0:-1", "expected a port from 1 to 65535 in address"},
      {"\"0.0.0.0:\"", "expected a port from 1 to 65535 in address"},
      {"::1:5900", "needs brackets, such as [::1]:5900"},
      {"\"[::1]5900\"", "expected host:port for address"},
      {"\"[::1]\"", "expected host:port for address"},
      {"\"[]:5900\"", "expected host:port for address"},
      {"\"[::1:5900\"", "expected host:port for address"},
      {"\":5900\"", "expected host:port for address"},
      {"\"\"", "expected a non-empty string for address"},
      {"5900", "expected host:port for address"},
  }));
  check_case({"listeners", std::string("listeners:\n  - address: ") + r.value + "\n    security: vencrypt\n", 2, 14,
              r.message});
}

TEST_CASE("durations", "[config]") {
  SECTION("malformed") {
    const std::string value = GENERATE("10", "10 s", "s", "-5s", "1.5s", "10sec", "5d", "1h 30m", "ms",
                                       "1S", "\"\"", "[10s]", "m5", "10s5");
    check_case({"", "policy:\n  handshake_timeout: " + value + "\n", 2, 22,
                "expected a duration such as 500ms, 10s, 5m or 8h for handshake_timeout"});
  }
  SECTION("out of range") {
    const std::string value = GENERATE("0", "0s", "999ms", "10m1ms", "1h", "99999999999999h");
    config_dir d;
    CAPTURE(value);
    const auto errors = d.errors("policy:\n  handshake_timeout: " + value + "\n" + rest_without(""));
    // A number too large to represent is malformed rather than out of range; either way
    // the error is placed at the value.
    const auto* e = find(errors, "for handshake_timeout");
    REQUIRE(e != nullptr);
    CHECK(e->line == 2);
    CHECK(e->column == 22);
    if (value != "99999999999999h") {
      CHECK(e->message == "expected a duration from 1s to 10m for handshake_timeout");
    }
  }
  SECTION("well formed") {
    struct row {
      const char* text;
      std::chrono::milliseconds value;
    };
    const auto r = GENERATE(values<row>({{"1s", 1s}, {"10m", 10min}, {"1m30s", 90s},
                                         {"2m500ms", 120500ms}, {"90s", 90s}, {"1000ms", 1s},
                                         {"0h5m", 5min}, {"30s30s", 60s}}));
    config_dir d;
    CAPTURE(r.text);
    const auto result = d.load(std::string("policy:\n  handshake_timeout: ") + r.text + "\n" + rest_without(""));
    if (!result) FAIL(dump(result.error()));
    CHECK(result->policy.handshake_timeout == r.value);
  }
}
