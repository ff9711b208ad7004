// config_valid_test.cpp — load_config on configurations it accepts: every key read back,
// the defaults, values at the edges of their ranges, and how config_error and endpoint
// print.
#include <catch2/catch.hpp>

#include <cstdio>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config_test_support.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;
using namespace std::chrono_literals;

TEST_CASE("a full configuration is read back field by field", "[config]") {
  config_dir d;
  d.write("tls/cert.pem", material().cert);
  d.write("tls/key.pem", material().key, 0600);
  d.write("secrets/design-ws", "s3cret pw\n", 0600);
  // `vncpasswd -f` of "password": the published obfuscation with the fixed VNC key.
  const unsigned char vncpasswd[] = {0xdb, 0xd8, 0x3c, 0xfd, 0x72, 0x7a, 0x14, 0x58};
  const auto binary = d.write("secrets/build-box.bin",
                              std::string_view(reinterpret_cast<const char*>(vncpasswd), 8), 0600);
  d.write("users.yaml",
          "users:\n  alice:\n    password_hash: \"" + sha512_hash +
              "\"\n    groups: [designers, auditors]\n  bob:\n    password_hash: '" +
              yescrypt_hash + "'\n",
          0600);
  const auto result = d.load(yaml(R"(
workers: 3
listeners:
  - address: 0.0.0.0:5900
    security: vencrypt
    allow_anonymous_tls: true
    proxy_protocol: true
  - address: "[::1]:5901"
    security: tls
    target: build-box
    proxy_protocol: true
    proxy_protocol_from: [10.0.0.0/8, "2001:db8::/32"]
tls:
  certificate: tls/cert.pem
  private_key: ./tls/../tls/key.pem
auth:
  backend: file
  users_file: users.yaml
  second_factor: none
  failure_delay: 1500ms
  threads: 8
targets:
  - name: design-ws
    host: 10.0.3.17
    display: 1
    password_file: secrets/design-ws
    allow: { users: [alice], groups: [designers] }
    shared: true
    connect_timeout: 1m30s
  - name: build-box
    host: fd00::5
    port: 6000
    password_file: )") + binary.string() + std::string(R"(
    allow:
      users: ["*"]
    shared: false
policy:
  handshake_timeout: 2m
audit:
  - { type: file, path: logs/audit.jsonl }
  - type: stdout
)"));
  if (!result) FAIL(dump(result.error()));
  const config& c = *result;
  CHECK(c.source == d.path("vncgate.yaml"));
  CHECK(c.workers == 3);

  REQUIRE(c.listeners.size() == 2);
  CHECK(c.listeners[0].address.host == "0.0.0.0");
  CHECK(c.listeners[0].address.port == 5900);
  CHECK(c.listeners[0].security == listener_security::vencrypt);
  CHECK(c.listeners[0].allow_anonymous_tls);
  CHECK_FALSE(c.listeners[0].target);
  CHECK(c.listeners[0].proxy_protocol);
  REQUIRE(c.listeners[0].proxy_protocol_from.size() == 2);  // loopback unless told
  CHECK(c.listeners[0].proxy_protocol_from[0].to_string() == "127.0.0.0/8");
  CHECK(c.listeners[0].proxy_protocol_from[1].to_string() == "::1/128");
  CHECK(c.listeners[1].proxy_protocol);
  REQUIRE(c.listeners[1].proxy_protocol_from.size() == 2);
  CHECK(c.listeners[1].proxy_protocol_from[0].to_string() == "10.0.0.0/8");
  CHECK(c.listeners[1].proxy_protocol_from[1].to_string() == "2001:db8::/32");
  CHECK(c.listeners[1].address.host == "::1");
  CHECK(c.listeners[1].address.port == 5901);
  CHECK(c.listeners[1].address.to_string() == "[::1]:5901");
  CHECK(c.listeners[1].security == listener_security::tls);
  CHECK_FALSE(c.listeners[1].allow_anonymous_tls);
  CHECK(c.listeners[1].target == std::optional<std::size_t>(1));

  CHECK(c.tls.certificate == d.path("tls/cert.pem"));
  CHECK(c.tls.private_key == d.path("tls/key.pem"));

  CHECK(c.auth.backend == auth_backend_kind::file);
  CHECK(c.auth.users_file == d.path("users.yaml"));
  CHECK(c.auth.failure_delay == 1500ms);
  CHECK(c.auth.threads == 8);
  REQUIRE(c.auth.users.size() == 2);
  CHECK(c.auth.users[0].name == "alice");
  CHECK(c.auth.users[0].password_hash == sha512_hash);
  CHECK(c.auth.users[0].groups == std::vector<std::string>{"designers", "auditors"});
  CHECK(c.auth.users[1].name == "bob");
  CHECK(c.auth.users[1].password_hash == yescrypt_hash);
  CHECK(c.auth.users[1].groups.empty());

  REQUIRE(c.targets.size() == 2);
  const auto& ws = c.targets[0];
  CHECK(ws.name == "design-ws");
  CHECK(ws.address.host == "10.0.3.17");
  CHECK(ws.address.port == 5901);  // display 1
  CHECK(ws.password_file == d.path("secrets/design-ws"));
  CHECK(ws.password == "s3cret pw");
  CHECK(ws.allow.users == std::vector<std::string>{"alice"});
  CHECK(ws.allow.groups == std::vector<std::string>{"designers"});
  CHECK(ws.shared == std::optional<bool>(true));
  CHECK(ws.connect_timeout == 90s);
  const auto& bb = c.targets[1];
  CHECK(bb.name == "build-box");
  CHECK(bb.address.to_string() == "[fd00::5]:6000");
  CHECK(bb.password_file == binary);
  CHECK(bb.password == "password");
  CHECK(bb.allow.users == std::vector<std::string>{"*"});
  CHECK(bb.allow.groups.empty());
  CHECK(bb.shared == std::optional<bool>(false));
  CHECK(bb.connect_timeout == 5s);

  REQUIRE(c.target_rules.size() == 2);
  CHECK(c.target_rules[0].name == "design-ws");
  CHECK(c.target_rules[0].allow.groups == ws.allow.groups);
  CHECK(c.target_rules[1].name == "build-box");
  CHECK(c.target_rules[1].allow.users == bb.allow.users);

  CHECK(c.policy.handshake_timeout == 120s);
  REQUIRE(c.audit.size() == 2);
  CHECK(c.audit[0].kind == audit_sink_kind::file);
  CHECK(c.audit[0].path == d.path("logs/audit.jsonl"));
  CHECK(c.audit[1].kind == audit_sink_kind::stdout_sink);
}

TEST_CASE("defaults", "[config]") {
  config_dir d;
  const auto result = d.load(listeners_ok + tls_ok + auth_ok + targets_ok);
  if (!result) FAIL(dump(result.error()));
  const config& c = *result;
  CHECK(c.workers == 0);
  CHECK(c.listeners.at(0).security == listener_security::vencrypt);
  CHECK_FALSE(c.listeners.at(0).allow_anonymous_tls);
  CHECK_FALSE(c.listeners.at(0).target);
  CHECK(c.auth.backend == auth_backend_kind::pam);
  CHECK(c.auth.pam_service == "vncgate");
  CHECK(c.auth.users.empty());
  CHECK(c.auth.failure_delay == 2s);
  CHECK(c.auth.threads == 4);
  REQUIRE(c.targets.size() == 1);
  CHECK(c.targets[0].address.to_string() == "localhost:5901");
  CHECK_FALSE(c.targets[0].password_file);
  CHECK(c.targets[0].password.empty());
  CHECK_FALSE(c.targets[0].shared);
  CHECK(c.targets[0].connect_timeout == 5s);
  CHECK(c.policy.handshake_timeout == 10s);
  REQUIRE(c.audit.size() == 1);
  CHECK(c.audit[0].kind == audit_sink_kind::stdout_sink);
  CHECK(c.metrics.enabled);
  CHECK(c.metrics.address.to_string() == "127.0.0.1:9900");
}

TEST_CASE("the metrics section and the configuration's hash", "[config]") {
  config_dir d;
  const std::string text = listeners_ok + tls_ok + auth_ok + targets_ok;
  const auto on = d.load(text + "metrics:\n  address: \"[::1]:9911\"\n");
  if (!on) FAIL(dump(on.error()));
  CHECK(on->metrics.enabled);
  CHECK(on->metrics.address.to_string() == "[::1]:9911");
  const auto off = d.load(text + "metrics: { enabled: false }\n");
  if (!off) FAIL(dump(off.error()));
  CHECK_FALSE(off->metrics.enabled);
  CHECK(off->metrics.address.to_string() == "127.0.0.1:9900");
  // SHA-256 of the file's bytes, as sha256sum prints it.
  const auto plain = d.load(text);
  if (!plain) FAIL(dump(plain.error()));
  unsigned char digest[32];
  unsigned int size = 0;
  REQUIRE(EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) == 1);
  std::string hex;
  for (unsigned i = 0; i < size; ++i) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    hex += two;
  }
  CHECK(plain->source_sha256 == hex);
  const auto again = d.load(text + "# a comment changes the bytes\n");
  if (!again) FAIL(dump(again.error()));
  CHECK(plain->source_sha256.size() == 64);
  CHECK(plain->source_sha256 != again->source_sha256);
  CHECK(plain->source_sha256 == d.load(text)->source_sha256);
}

TEST_CASE("values at the edges of their ranges are accepted", "[config]") {
  config_dir d;
  const auto result = d.load(yaml(R"(
workers: 1024
auth:
  backend: pam
  pam_service: vnc.gate_1-x
  failure_delay: 0
  threads: 256
policy:
  handshake_timeout: 9m59s1000ms
targets:
  - name: a.B_9-z
    host: h
    display: 99
    allow: { groups: [g] }
    connect_timeout: 1ms
  - name: port-max
    host: h
    port: 65535
    allow: { users: [] , groups: [] }
    connect_timeout: 5m
)") + listeners_ok + tls_ok);
  if (!result) FAIL(dump(result.error()));
  CHECK(result->workers == 1024);
  CHECK(result->auth.pam_service == "vnc.gate_1-x");
  CHECK(result->auth.failure_delay == 0ms);
  CHECK(result->auth.threads == 256);
  CHECK(result->policy.handshake_timeout == 10min);
  CHECK(result->targets.at(0).address.port == 5999);
  CHECK(result->targets.at(0).connect_timeout == 1ms);
  CHECK(result->targets.at(1).address.port == 65535);
  CHECK(result->targets.at(1).connect_timeout == 5min);
  CHECK(result->targets.at(1).allow.users.empty());  // an empty list admits nobody
}

TEST_CASE("config_error and endpoint print as documented", "[config]") {
  CHECK(config_error{"/etc/vncgate.yaml", 3, 7, "boom"}.to_string() == "/etc/vncgate.yaml:3:7: boom");
  CHECK(endpoint{"0.0.0.0", 5900}.to_string() == "0.0.0.0:5900");
  CHECK(endpoint{"::", 5900}.to_string() == "[::]:5900");
  CHECK(endpoint{"desk.example", 1}.to_string() == "desk.example:1");
}

TEST_CASE("a plain listener with its client leg declared protected", "[config]") {
  config_dir d;
  d.write("ca.pem", material().cert);
  auto cfg = d.load(listeners_ok + "  - address: 127.0.0.1:5902\n    security: plain\n    client_leg_protected: true\n" +
                    "    greet_refused: true\n" + tls_ok + "  client_ca: ca.pem\n" + auth_ok + targets_ok);
  if (!cfg) FAIL(dump(cfg.error()));
  REQUIRE(cfg->listeners.size() == 2);
  const auto& plain = cfg->listeners[1];
  CHECK(plain.security == listener_security::plain);
  CHECK(plain.client_leg_protected);
  CHECK(plain.greet_refused == true);
  // No TLS to ask in: no client certificate, even with a client CA configured.
  CHECK(plain.client_certificate == client_certificate_mode::off);
  CHECK(cfg->listeners[0].client_certificate == client_certificate_mode::optional);
  CHECK(to_string(plain.security) == "plain");
}
