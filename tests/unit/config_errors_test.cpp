// config_errors_test.cpp — load_config refuses a configuration with every error placed at
// its line:column: unknown keys and the keys that were expected, several errors at once,
// wrong types, missing keys and bad values in each section, references between sections,
// and keys of the contract that are not built yet.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config_test_support.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;

TEST_CASE("an unknown key is reported with the keys that were expected", "[config]") {
  config_dir d;
  check_refusal(d, {"", yaml(R"(
listeners:
  - address: 0.0.0.0:5900
    security: vencrypt
  - adress: 0.0.0.0:5901
    security: vencrypt
)") + rest_without("listeners"),
                    {{4, 5,
                      "unknown key 'adress' in listener; expected one of: address, security, target, "
                      "allow_anonymous_tls, proxy_protocol, allow_cidrs, deny_cidrs, greet_refused, client_certificate, "
                      "client_leg_protected, proxy_protocol_from; "
                      "did you mean 'address'?"},
                     {4, 5, "listener is missing 'address'"}},
                    2});
}

TEST_CASE("an unknown top-level key", "[config]") {
  config_dir d;
  check_refusal(d, {"", "listners:\n  - address: 0.0.0.0:5900\n" + rest_without("listeners"),
                    {{1, 1,
                      "unknown key 'listners' in the configuration; expected one of: workers, listeners, "
                      "tls, auth, targets, policy, audit, metrics, shutdown_grace; did you mean 'listeners'?"},
                     {1, 1, "the configuration is missing 'listeners'"}}});
}

TEST_CASE("a far-off unknown key gets no suggestion", "[config]") {
  config_dir d;
  const auto errors = d.errors("colour: blue\n" + rest_without(""));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message.find("did you mean") == std::string::npos);
  CHECK(errors[0].line == 1);
}

TEST_CASE("several errors are reported together, in position order", "[config]") {
  config_dir d;
  const refusal expected{"", yaml(R"(
listeners:
  - address: 0.0.0.0:5900
    securty: vencrypt
  - address: 0.0.0.0:99999
    security: vencrypt
targets:
  - name: only
    host: localhost
    port: 5901
    allow: { users: [alice] }
    view_only: { grups: [auditors] }
)") + tls_ok + auth_ok,
                         {{2, 5, "listener is missing 'security'"},
                          {3, 5, "unknown key 'securty' in listener"},
                          {3, 5, "did you mean 'security'?"},
                          {4, 14, "expected a port from 1 to 65535 in address"},
                          {11, 16, "view_only needs users, groups or both"},
                          {11, 18, "unknown key 'grups' in view_only; expected one of: users, groups"}},
                         5};
  const auto errors = d.errors(expected.text);
  expect_errors(errors, expected, d.path("vncgate.yaml"));
  INFO(dump(errors));
  for (std::size_t i = 1; i < errors.size(); ++i) CHECK(errors[i - 1].line <= errors[i].line);
}

TEST_CASE("wrong types, missing keys and bad values", "[config]") {
  // listener_head is 2 lines, auth_ok 2, tls_ok 3.
  check_case(GENERATE(values<error_case>({
      {"listeners", "listeners: 5\n", 1, 12, "expected a list of listeners"},
      {"listeners", "listeners: []\n", 1, 12, "the list of listeners is empty"},
      {"listeners", "listeners:\n", 1, 1, "expected a list of listeners"},
      {"listeners", "listeners:\n  - 0.0.0.0:5900\n", 2, 5, "expected a mapping for listener"},
      {"listeners", "listeners:\n  - { address: 0.0.0.0:5900 }\n", 2, 5, "listener is missing 'security'"},
      {"listeners", listener_head, 2, 5, "listener is missing 'security'"},
      {"listeners", "listeners:\n  - security: tls\n", 2, 5, "listener is missing 'address'"},
      {"listeners", listener_head + "    security: [tls]\n", 3, 15, "expected a non-empty string for security"},
      {"listeners", listener_head + "    security: rfb\n", 3, 15, "expected vencrypt, tls or plain for security"},
      {"listeners", listener_head + "    security:\n", 3, 5, "expected a non-empty string for security"},
      {"targets", "targets: {name: x}\n", 1, 10, "expected a list of targets"},
      {"targets", "targets:\n  - name: only\n    port: 5901\n    allow: { users: [a] }\n", 2, 5,
       "target is missing 'host'"},
      {"targets", "targets:\n  - name: only\n    host: h\n    port: 5901\n", 2, 5, "target is missing 'allow'"},
      {"targets", "targets:\n  - host: h\n    port: 5901\n    allow: { users: [a] }\n", 2, 5,
       "target is missing 'name'"},
      {"tls", "tls: [a]\n", 1, 6, "expected a mapping for tls"},
      {"tls", "tls:\n", 1, 1, "expected a mapping for tls"},
      {"tls", "tls:\n  certificate: cert.pem\n", 2, 3, "tls is missing 'private_key'"},
      {"tls", "tls:\n  private_key: key.pem\n", 2, 3, "tls is missing 'certificate'"},
      {"tls", "workers: 2\n", 1, 1, "the configuration is missing 'tls'"},
      {"tls", tls_ok + "  certificate: cert.pem\n", 4, 3, "duplicate key 'certificate' in tls"},
      {"auth", "auth:\n  pam_service: x\n", 2, 3, "auth is missing 'backend'"},
      {"auth", "auth:\n  backend: ldap\n", 2, 12, "expected pam or file for backend"},
      {"auth", auth_ok + "  threads: 0\n", 3, 12, "expected an integer from 1 to 256 for threads"},
      {"auth", auth_ok + "  threads: 257\n", 3, 12, "expected an integer from 1 to 256 for threads"},
      {"auth", auth_ok + "  pam_service: ../etc/passwd\n", 3, 16, "expected a PAM service name"},
      {"auth", auth_ok + "  failure_delay: 61s\n", 3, 18, "expected a duration from 0s to 1m for failure_delay"},
      {"auth", auth_ok + "  second_factor: sms\n", 3, 18,
       "expected none, totp or client_certificate for second_factor"},
      {"", "workers: many\n", 1, 10, "expected an integer from 0 to 1024 for workers"},
      {"", "workers: -1\n", 1, 10, "expected an integer from 0 to 1024 for workers"},
      {"", "policy: 5\n", 1, 9, "expected a mapping for policy"},
      {"", "audit: { type: stdout }\n", 1, 8, "expected a list of audit sinks"},
      {"", "audit: []\n", 1, 8, "the list of audit sinks is empty"},
      {"", "audit:\n  - { type: file }\n", 2, 5, "audit sink is missing 'path'"},
      {"", "audit:\n  - { type: journald }\n", 2, 13, "expected file, stdout or syslog for type"},
      {"", "audit:\n  - { path: x }\n", 2, 5, "audit sink is missing 'type'"},
      {"", "audit:\n  - { type: stdout, path: x }\n", 2, 27, "path is only used with type: file"},
      {"", "audit:\n  - { type: stdout }\n  - { type: stdout }\n", 3, 5,
       "the audit sink at line 2 already writes there"},
      {"", "audit:\n  - { type: file, path: a.log }\n  - { type: file, path: ./a.log }\n", 3, 5,
       "the audit sink at line 2 already writes there"},
  })));
}

TEST_CASE("cross-references between sections", "[config]") {
  config_dir d;
  check_refusal(d, GENERATE(values<refusal>({
      {"duplicate target names point at the second", yaml(R"(
targets:
  - name: a
    host: h
    port: 5901
    allow: { users: [x] }
  - name: a
    host: h
    port: 5902
    allow: { users: [x] }
)") + rest_without("targets"),
       {{6, 11, "duplicate target name 'a'; first defined at line 2"}},
       1},
      {"a listener bound to an unknown target", yaml(R"(
listeners:
  - address: 0.0.0.0:5900
    security: vencrypt
    target: nope
)") + rest_without("listeners"),
       {{4, 13, "target 'nope' is not one of the configured targets"}}},
      {"a listener bound to a target that has errors of its own gets no second error", yaml(R"(
targets:
  - name: only
    host: h
    port: 0
    allow: { users: [x] }
listeners:
  - address: 0.0.0.0:5900
    security: vencrypt
    target: only
)") + tls_ok + auth_ok,
       {{4, 11, "expected an integer from 1 to 65535 for port"}},
       1},
      {"two listeners on the same address", yaml(R"(
listeners:
  - address: 0.0.0.0:5900
    security: vencrypt
  - address: 0.0.0.0:5901
    security: vencrypt
  - address: 0.0.0.0:5900
    security: tls
  - address: "[::]:5900"
    security: tls
  - address: "[::]:5900"
    security: tls
)") + rest_without("listeners"),
       {{6, 14, "address 0.0.0.0:5900 is already used by the listener at line 2"},
        {10, 14, "address [::]:5900 is already used by the listener at line 8"}},
       2},
      {"allow_anonymous_tls needs security: vencrypt", yaml(R"(
listeners:
  - address: 0.0.0.0:5900
    security: tls
    allow_anonymous_tls: true
)") + rest_without("listeners"),
       {{4, 26, "allow_anonymous_tls is only valid with security: vencrypt"}}},
      {"backend file without users_file", "auth:\n  backend: file\n" + rest_without("auth"),
       {{2, 3, "auth is missing 'users_file' (required with backend: file)"}}},
      {"users_file with backend pam", auth_ok + "  users_file: users.yaml\n" + rest_without("auth"),
       {{3, 15, "users_file is only used with backend: file"}}},
  })));
}

TEST_CASE("the metrics section: its keys and values", "[config]") {
  // listeners_ok (3 lines) comes first in the metrics case that reuses its address.
  check_case(GENERATE(values<error_case>({
      {"", "metrics:\n  adress: 127.0.0.1:9900\n", 2, 3, "unknown key 'adress' in metrics"},
      {"", "metrics:\n  address: 127.0.0.1\n", 2, 12, "expected host:port for address"},
      {"", "metrics:\n  enabled: yes\n", 2, 12, "enabled"},
      {"", "metrics: 9900\n", 1, 10, "metrics"},
      {"listeners", listeners_ok + "metrics:\n  address: 127.0.0.1:5900\n", 5, 12,
       "address 127.0.0.1:5900 is already used by the listener at line 2"},
  })));
}

TEST_CASE("a plain listener must say that TLS protects its client leg", "[config]") {
  // tls_ok is 3 lines, one_target() 5, listener_head 2, auth_ok 2.
  check_case(GENERATE(values<error_case>({
      {"listeners", listener_head + "    security: plain\n", 3, 15,
       "security: plain takes VNC passwords unencrypted at this socket: add client_leg_protected: true"},
      {"listeners", listener_head + "    security: plain\n    client_leg_protected: false\n", 3, 15,
       "add client_leg_protected: true only if a TLS-terminating load balancer or sidecar protects"},
      {"listeners", listener_head + "    security: vencrypt\n    client_leg_protected: true\n", 4, 27,
       "client_leg_protected is only valid with security: plain"},
      {"listeners", listener_head + "    security: plain\n    client_leg_protected: true\n    allow_anonymous_tls: true\n",
       5, 26, "allow_anonymous_tls is only valid with security: vencrypt"},
      {"listeners", listener_head + "    security: plain\n    client_leg_protected: true\n    client_certificate: required\n",
       5, 25, "client_certificate: required needs TLS at the gateway; a plain listener has none"},
  })));
}

TEST_CASE("keys of the contract that are not built yet are errors", "[config]") {
  // tls_ok is 3 lines, one_target() 5, listener_head 2, auth_ok 2.
  check_case(GENERATE(values<error_case>({
      {"listeners", listener_head + "    security: websocket\n", 3, 15, "security: websocket is not supported yet"},
  })));
}

TEST_CASE("proxy_protocol_from names the balancers of a proxy_protocol listener", "[config]") {
  // tls_ok is 3 lines, one_target() 5, listener_head 2, auth_ok 2.
  check_case(GENERATE(values<error_case>({
      {"listeners", listener_head + "    security: vencrypt\n    proxy_protocol_from: [10.0.0.0/8]\n", 4, 26,
       "proxy_protocol_from is only valid with proxy_protocol: true"},
      {"listeners", listener_head + "    security: vencrypt\n    proxy_protocol: true\n    proxy_protocol_from: []\n", 5,
       26, "proxy_protocol_from must name at least one address range"},
      {"listeners", listener_head + "    security: vencrypt\n    proxy_protocol: true\n    proxy_protocol_from: [10.1.2.3/8]\n",
       5, 27, "10.0.0.0/8"},
      {"listeners", listener_head + "    security: vencrypt\n    proxy_protocol: yes please\n", 4, 21, "proxy_protocol"},
  })));
}
