// config_policy_errors_test.cpp — load_config refuses bad `policy` values, each error
// placed at its line:column: address lists (at the bad entry), booleans, rate and cap
// ranges, a burst without its rate, lockout values and combinations (the combination at
// the `lockout` key), and session durations.
#include <catch2/catch.hpp>

#include <string>

#include "config_test_support.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;

TEST_CASE("policy address lists: errors at the entry", "[config]") {
  // `  allow_cidrs: [` puts the first entry at column 17.
  check_case(GENERATE(values<error_case>({
      {"", "policy:\n  allow_cidrs: 10.0.0.0/8\n", 2, 16,
       "expected a list of addresses or CIDR ranges for allow_cidrs"},
      {"", "policy:\n  allow_cidrs:\n", 2, 3, "expected a list of addresses or CIDR ranges for allow_cidrs"},
      {"", "policy:\n  deny_cidrs: { a: b }\n", 2, 15, "expected a list of addresses or CIDR ranges for deny_cidrs"},
      {"", "policy:\n  allow_cidrs: [10.0.0.0/8, 10.1.2.3/8]\n", 2, 29,
       "bits are set after the prefix length /8: write the network address, 10.0.0.0/8"},
      {"", "policy:\n  allow_cidrs: [10.0.0.0/33]\n", 2, 17,
       "the prefix length after '/' must be a number from 0 to 32"},
      {"", "policy:\n  allow_cidrs: [\"2001:db8::/129\"]\n", 2, 17,
       "the prefix length after '/' must be a number from 0 to 128"},
      {"", "policy:\n  allow_cidrs: [10.0.0.0/08]\n", 2, 17, "the prefix length after '/' must be a number"},
      {"", "policy:\n  deny_cidrs:\n    - 10.0.0.0/8\n    - example.com\n", 4, 7,
       "expected an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32"},
      {"", "policy:\n  deny_cidrs: [010.0.0.1]\n", 2, 16,
       "expected an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32"},
      {"", "policy:\n  deny_cidrs: [\"fe80::1%eth0\"]\n", 2, 16,
       "expected an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32"},
      {"", "policy:\n  allow_cidrs: [[10.0.0.0/8]]\n", 2, 17,
       "expected a list of addresses or CIDR ranges for allow_cidrs"},
      {"", "policy:\n  allow_cidrs: [\"\"]\n", 2, 17, "expected a list of addresses or CIDR ranges for allow_cidrs"},
  })));
}

TEST_CASE("every bad entry of an address list is reported", "[config]") {
  config_dir d;
  check_refusal(d, {"two bad entries and a good one",
                    "policy:\n  deny_cidrs: [10.0.0.1/8, 192.0.2.0/24, nope]\n" + rest_without(""),
                    {{2, 16, "bits are set after the prefix length /8: write the network address, 10.0.0.0/8"},
                     {2, 42, "expected an address or CIDR such as 10.0.0.0/8"}},
                    2});
}

TEST_CASE("policy values out of range or of the wrong type", "[config]") {
  check_case(GENERATE(values<error_case>({
      {"", "policy:\n  greet_refused: yes\n", 2, 18, "expected true or false for greet_refused"},
      {"", "policy:\n  connections_per_minute_per_ip: -1\n", 2, 34,
       "expected an integer from 0 to 1000000 for connections_per_minute_per_ip"},
      {"", "policy:\n  connections_per_minute_per_ip: 1000001\n", 2, 34,
       "expected an integer from 0 to 1000000 for connections_per_minute_per_ip"},
      {"", "policy:\n  connection_burst_per_ip: 0\n", 2, 28,
       "expected an integer from 1 to 1000000 for connection_burst_per_ip"},
      {"", "policy:\n  connection_burst_per_ip: 1000001\n", 2, 28,
       "expected an integer from 1 to 1000000 for connection_burst_per_ip"},
      {"", "policy:\n  connections_per_minute: 10000001\n", 2, 27,
       "expected an integer from 0 to 10000000 for connections_per_minute"},
      {"", "policy:\n  connections_per_minute: 60\n  connection_burst: 0\n", 3, 21,
       "expected an integer from 1 to 10000000 for connection_burst"},
      {"", "policy:\n  max_handshakes: 1000001\n", 2, 19, "expected an integer from 0 to 1000000 for max_handshakes"},
      {"", "policy:\n  max_handshakes_per_ip: -1\n", 2, 26,
       "expected an integer from 0 to 1000000 for max_handshakes_per_ip"},
      {"", "policy:\n  max_sessions: 1000001\n", 2, 17, "expected an integer from 0 to 1000000 for max_sessions"},
      {"", "policy:\n  max_sessions_per_user: 1.5\n", 2, 26,
       "expected an integer from 0 to 1000000 for max_sessions_per_user"},
      {"", "policy:\n  max_sessions_per_target: unlimited\n", 2, 28,
       "expected an integer from 0 to 1000000 for max_sessions_per_target"},
      {"", "policy:\n  allow_cidr: []\n", 2, 3, "unknown key 'allow_cidr' in policy; expected one of: allow_cidrs"},
      {"", "policy:\n  allow_cidr: []\n", 2, 3, "did you mean 'allow_cidrs'?"},
  })));
}

TEST_CASE("a burst without its rate is an error, not silently ignored", "[config]") {
  check_case(GENERATE(values<error_case>({
      {"", "policy:\n  connections_per_minute_per_ip: 0\n  connection_burst_per_ip: 5\n", 3, 28,
       "connection_burst_per_ip needs connections_per_minute_per_ip above 0 (0 turns this limit off)"},
      {"", "policy:\n  connection_burst: 5\n", 2, 21,
       "connection_burst needs connections_per_minute above 0 (0 turns this limit off)"},
      {"", "policy:\n  connections_per_minute: 0\n  connection_burst: 5\n", 3, 21,
       "connection_burst needs connections_per_minute above 0"},
  })));
}

TEST_CASE("lockout values", "[config]") {
  // Block form: each lockout key on line 3, at column 5.
  check_case(GENERATE(values<error_case>({
      {"", "policy:\n  lockout: 5\n", 2, 12, "expected a mapping for lockout"},
      {"", "policy:\n  lockout:\n", 2, 3, "expected a mapping for lockout"},
      {"", "policy:\n  lockout:\n    failures: 1001\n", 3, 15, "expected an integer from 0 to 1000 for failures"},
      {"", "policy:\n  lockout:\n    failures: -1\n", 3, 15, "expected an integer from 0 to 1000 for failures"},
      {"", "policy:\n  lockout:\n    source_failures: 100001\n", 3, 22,
       "expected an integer from 0 to 100000 for source_failures"},
      {"", "policy:\n  lockout:\n    user_failures: 100001\n", 3, 20,
       "expected an integer from 0 to 100000 for user_failures"},
      {"", "policy:\n  lockout:\n    window: 0\n", 3, 13, "expected a duration from 1s to 720h for window"},
      {"", "policy:\n  lockout:\n    window: 721h\n", 3, 13, "expected a duration from 1s to 720h for window"},
      {"", "policy:\n  lockout:\n    duration: 999ms\n", 3, 15, "expected a duration from 1s to 720h for duration"},
      {"", "policy:\n  lockout:\n    duration: 15\n", 3, 15,
       "expected a duration such as 500ms, 10s, 5m or 8h for duration"},
      {"", "policy:\n  lockout:\n    window: 1500ms\n", 3, 13,
       "expected whole seconds for window, not 1500ms (lockout times have no milliseconds part)"},
      {"", "policy:\n  lockout:\n    max_duration: 1h30m1ms\n", 3, 19,
       "expected whole seconds for max_duration, not 5400001ms"},
      {"", "policy:\n  lockout:\n    backoff_reset: 0\n", 3, 20,
       "expected a duration from 1s to 720h for backoff_reset"},
      {"", "policy:\n  lockout:\n    reveal: yes\n", 3, 13, "expected true or false for reveal"},
      {"", "policy:\n  lockout:\n    treshold: 5\n", 3, 5,
       "unknown key 'treshold' in lockout; expected one of: failures, source_failures, user_failures, window, "
       "duration, max_duration, backoff_reset, reveal"},
  })));
}

TEST_CASE("lockout combinations are reported at the lockout key", "[config]") {
  check_case(GENERATE(values<error_case>({
      {"", "policy:\n  lockout: { failures: 5, source_failures: 4 }\n", 2, 3,
       "lockout source_failures must be 0 (off) or at least failures"},
      {"", "policy:\n  lockout:\n    failures: 21\n", 2, 3,
       "lockout source_failures must be 0 (off) or at least failures"},  // against the default 20
      {"", "policy:\n  lockout: { user_failures: 4 }\n", 2, 3,
       "lockout user_failures must be 0 (off) or at least failures"},
      {"", "policy:\n  lockout: { duration: 2h, max_duration: 1h }\n", 2, 3,
       "lockout max_duration must not be shorter than duration"},
      {"", "policy:\n  handshake_timeout: 10s\n  lockout: { duration: 25h }\n", 3, 3,
       "lockout max_duration must not be shorter than duration"},  // against the default 24h
  })));
}

TEST_CASE("a bad lockout value is reported alone, not also as a combination", "[config]") {
  config_dir d;
  check_refusal(d, {"failures unreadable, user_failures below its default",
                    "policy:\n  lockout: { failures: x, user_failures: 3 }\n" + rest_without(""),
                    {{2, 24, "expected an integer from 0 to 1000 for failures"}},
                    1});
}

TEST_CASE("session durations: 0 or 1s to 720h", "[config]") {
  check_case(GENERATE(values<error_case>({
      {"", "policy:\n  idle_timeout: 500ms\n", 2, 17,
       "expected 0 (none) or a duration from 1s to 720h for idle_timeout"},
      {"", "policy:\n  idle_timeout: 721h\n", 2, 17,
       "expected 0 (none) or a duration from 1s to 720h for idle_timeout"},
      {"", "policy:\n  idle_timeout: 30 minutes\n", 2, 17,
       "expected a duration such as 500ms, 10s, 5m or 8h for idle_timeout"},
      {"", "policy:\n  max_session: 999ms\n", 2, 16,
       "expected 0 (none) or a duration from 1s to 720h for max_session"},
      {"", "policy:\n  max_session: 720h1ms\n", 2, 16,
       "expected 0 (none) or a duration from 1s to 720h for max_session"},
      {"", "policy:\n  max_session: -1s\n", 2, 16,
       "expected a duration such as 500ms, 10s, 5m or 8h for max_session"},
  })));
}
