// config_test.cpp — load_config: every key read back, every error placed at its line:col.
//
// Each test writes its files into a fresh temporary directory. The section under test is
// written first in each YAML text, so the expected line and column can be read off the
// text itself; the other required sections follow, valid.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/config.hpp"

using namespace vncgate::gateway;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct tls_material {
  std::string cert, key, other_key;
};

std::string pem_of_key(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed P-256 certificate, its key, and an unrelated key; made once per run.
const tls_material& material() {
  static const tls_material m = [] {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> other(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
    X509_set_pubkey(x.get(), key.get());
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("vncgate-test"), -1, -1, 0);
    X509_set_issuer_name(x.get(), name);
    X509_sign(x.get(), key.get(), EVP_sha256());
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(bio.get(), x.get());
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return tls_material{std::string(data, static_cast<std::size_t>(n)), pem_of_key(key.get()),
                        pem_of_key(other.get())};
  }();
  return m;
}

// Drops the newline after R"( so that the text's first line is line 1.
std::string yaml(const char* text) { return text[0] == '\n' ? text + 1 : text; }

const std::string listeners_ok = "listeners:\n  - address: 127.0.0.1:5900\n    security: vencrypt\n";
const std::string tls_ok = "tls:\n  certificate: cert.pem\n  private_key: key.pem\n";
const std::string auth_ok = "auth:\n  backend: pam\n";
const std::string targets_ok =
    "targets:\n  - name: only\n    host: localhost\n    port: 5901\n    allow: { users: [alice] }\n";

// Two SHA-512 crypt hashes (`openssl passwd -6 -salt saltsalt secret`, and one yescrypt
// shape) that is_supported_hash accepts.
const std::string sha512_hash =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
const std::string yescrypt_hash = "$y$j9T$abcdefghijklmnopqrstu.$0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

using load_result = decltype(load_config(fs::path()));

class config_dir {
 public:
  config_dir() {
    std::string tmpl = (fs::temp_directory_path() / "vncgate-config-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
    write("cert.pem", material().cert);
    write("key.pem", material().key, 0600);
  }
  ~config_dir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  config_dir(const config_dir&) = delete;
  config_dir& operator=(const config_dir&) = delete;

  fs::path path(const std::string& name) const { return dir_ / name; }

  fs::path write(const std::string& name, std::string_view content, unsigned mode = 0644) {
    const auto p = path(name);
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    fs::permissions(p, static_cast<fs::perms>(mode));
    return p;
  }

  load_result load(std::string_view text) {
    write("vncgate.yaml", text);
    return load_config(path("vncgate.yaml"));
  }

  std::vector<config_error> errors(std::string_view text) {
    auto result = load(text);
    if (result) FAIL("the configuration was accepted:\n" << text);
    return result.error();
  }

 private:
  fs::path dir_;
};

std::string dump(const std::vector<config_error>& errors) {
  std::ostringstream out;
  for (const auto& e : errors) out << e.to_string() << "\n";
  return out.str();
}

const config_error* find(const std::vector<config_error>& errors, std::string_view text) {
  for (const auto& e : errors) {
    if (e.message.find(text) != std::string::npos) return &e;
  }
  return nullptr;
}

// There is an error whose message holds `text`, at line:column of `file`.
void expect_error(const std::vector<config_error>& errors, int line, int column,
                  std::string_view text, const fs::path& file) {
  INFO("looking for " << line << ":" << column << " '" << text << "' in\n" << dump(errors));
  const auto* e = find(errors, text);
  REQUIRE(e != nullptr);
  CHECK(e->file == file.string());
  CHECK(e->line == line);
  CHECK(e->column == column);
}

}  // namespace

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
  - address: "[::1]:5901"
    security: tls
    target: build-box
    proxy_protocol: false
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

namespace {

// All the required sections except `omit` ("" keeps all four).
std::string rest_without(std::string_view omit) {
  std::string out;
  if (omit != "listeners") out += listeners_ok;
  if (omit != "tls") out += tls_ok;
  if (omit != "auth") out += auth_ok;
  if (omit != "targets") out += targets_ok;
  return out;
}

struct error_case {
  const char* replaces;  // the section the text stands in for
  const char* text;
  int line;
  int column;
  const char* message;
};

void check_case(const error_case& c) {
  config_dir d;
  CAPTURE(c.text);
  const auto errors = d.errors(c.text + rest_without(c.replaces));
  expect_error(errors, c.line, c.column, c.message, d.path("vncgate.yaml"));
}

}  // namespace

TEST_CASE("an unknown key is reported with the keys that were expected", "[config]") {
  config_dir d;
  const auto errors = d.errors(yaml(R"(
listeners:
  - address: 0.0.0.0:5900
    security: vencrypt
  - adress: 0.0.0.0:5901
    security: vencrypt
)") + rest_without("listeners"));
  const auto file = d.path("vncgate.yaml");
  expect_error(errors, 4, 5,
               "unknown key 'adress' in listener; expected one of: address, security, target, "
               "allow_anonymous_tls, proxy_protocol; did you mean 'address'?",
               file);
  expect_error(errors, 4, 5, "listener is missing 'address'", file);
  CHECK(errors.size() == 2);
}

TEST_CASE("an unknown top-level key", "[config]") {
  config_dir d;
  const auto errors = d.errors("listners:\n  - address: 0.0.0.0:5900\n" + rest_without("listeners"));
  const auto file = d.path("vncgate.yaml");
  expect_error(errors, 1, 1,
               "unknown key 'listners' in the configuration; expected one of: workers, listeners, "
               "tls, auth, targets, policy, audit; did you mean 'listeners'?",
               file);
  expect_error(errors, 1, 1, "the configuration is missing 'listeners'", file);
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
  const auto errors = d.errors(yaml(R"(
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
    view_only: { groups: [auditors] }
)") + tls_ok + auth_ok);
  const auto file = d.path("vncgate.yaml");
  INFO(dump(errors));
  REQUIRE(errors.size() == 4);
  expect_error(errors, 2, 5, "listener is missing 'security'", file);
  expect_error(errors, 3, 5, "unknown key 'securty' in listener", file);
  expect_error(errors, 3, 5, "did you mean 'security'?", file);
  expect_error(errors, 4, 14, "expected a port from 1 to 65535 in address", file);
  expect_error(errors, 11, 5, "view_only is not supported yet", file);
  for (std::size_t i = 1; i < errors.size(); ++i) CHECK(errors[i - 1].line <= errors[i].line);
}

TEST_CASE("wrong types, missing keys and bad values", "[config]") {
  check_case(GENERATE(values<error_case>({
      {"listeners", "listeners: 5\n", 1, 12, "expected a list of listeners"},
      {"listeners", "listeners: []\n", 1, 12, "the list of listeners is empty"},
      {"listeners", "listeners:\n", 1, 1, "expected a list of listeners"},
      {"listeners", "listeners:\n  - 0.0.0.0:5900\n", 2, 5, "expected a mapping for listener"},
      {"listeners", "listeners:\n  - { address: 0.0.0.0:5900 }\n", 2, 5, "listener is missing 'security'"},
      {"listeners", "listeners:\n  - address: 0.0.0.0:5900\n", 2, 5, "listener is missing 'security'"},
      {"listeners", "listeners:\n  - security: tls\n", 2, 5, "listener is missing 'address'"},
      {"listeners", "listeners:\n  - address: 0.0.0.0:5900\n    security: [tls]\n", 3, 15,
       "expected a non-empty string for security"},
      {"listeners", "listeners:\n  - address: 0.0.0.0:5900\n    security: rfb\n", 3, 15,
       "expected vencrypt or tls for security"},
      {"listeners", "listeners:\n  - address: 0.0.0.0:5900\n    security:\n", 3, 5,
       "expected a non-empty string for security"},
      {"targets", "targets: {name: x}\n", 1, 10, "expected a list of targets"},
      {"targets", "targets:\n  - name: only\n    port: 5901\n    allow: { users: [a] }\n", 2, 5,
       "target is missing 'host'"},
      {"targets", "targets:\n  - name: only\n    host: h\n    port: 5901\n", 2, 5,
       "target is missing 'allow'"},
      {"targets", "targets:\n  - host: h\n    port: 5901\n    allow: { users: [a] }\n", 2, 5,
       "target is missing 'name'"},
      {"tls", "tls: [a]\n", 1, 6, "expected a mapping for tls"},
      {"tls", "tls:\n", 1, 1, "expected a mapping for tls"},
      {"tls", "tls:\n  certificate: cert.pem\n", 2, 3, "tls is missing 'private_key'"},
      {"tls", "tls:\n  private_key: key.pem\n", 2, 3, "tls is missing 'certificate'"},
      {"tls", "workers: 2\n", 1, 1, "the configuration is missing 'tls'"},
      {"tls", "tls:\n  certificate: cert.pem\n  private_key: key.pem\n  certificate: cert.pem\n", 4, 3,
       "duplicate key 'certificate' in tls"},
      {"auth", "auth:\n  pam_service: x\n", 2, 3, "auth is missing 'backend'"},
      {"auth", "auth:\n  backend: ldap\n", 2, 12, "expected pam or file for backend"},
      {"auth", "auth:\n  backend: pam\n  threads: 0\n", 3, 12, "expected an integer from 1 to 256 for threads"},
      {"auth", "auth:\n  backend: pam\n  threads: 257\n", 3, 12, "expected an integer from 1 to 256 for threads"},
      {"auth", "auth:\n  backend: pam\n  pam_service: ../etc/passwd\n", 3, 16, "expected a PAM service name"},
      {"auth", "auth:\n  backend: pam\n  failure_delay: 61s\n", 3, 18,
       "expected a duration from 0s to 1m for failure_delay"},
      {"auth", "auth:\n  backend: pam\n  second_factor: sms\n", 3, 18,
       "expected none, totp or client_certificate for second_factor"},
      {"", "workers: many\n", 1, 10, "expected an integer from 0 to 1024 for workers"},
      {"", "workers: -1\n", 1, 10, "expected an integer from 0 to 1024 for workers"},
      {"", "policy: 5\n", 1, 9, "expected a mapping for policy"},
      {"", "audit: { type: stdout }\n", 1, 8, "expected a list of audit sinks"},
      {"", "audit: []\n", 1, 8, "the list of audit sinks is empty"},
      {"", "audit:\n  - { type: file }\n", 2, 5, "audit sink is missing 'path'"},
      {"", "audit:\n  - { type: syslog }\n", 2, 13, "expected file or stdout for type"},
      {"", "audit:\n  - { path: x }\n", 2, 5, "audit sink is missing 'type'"},
      {"", "audit:\n  - { type: stdout, path: x }\n", 2, 27, "path is only used with type: file"},
      {"", "audit:\n  - { type: stdout }\n  - { type: stdout }\n", 3, 5,
       "the audit sink at line 2 already writes there"},
      {"", "audit:\n  - { type: file, path: a.log }\n  - { type: file, path: ./a.log }\n", 3, 5,
       "the audit sink at line 2 already writes there"},
  })));
}

TEST_CASE("target values", "[config]") {
  check_case(GENERATE(values<error_case>({
      {"targets", "targets:\n  - name: a\n    host: h\n    display: 1\n    port: 5901\n    allow: { users: [x] }\n",
       5, 11, "give either display or port for a target, not both"},
      {"targets", "targets:\n  - name: a\n    host: h\n    allow: { users: [x] }\n", 2, 5,
       "target is missing 'display' or 'port'"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 0\n    allow: { users: [x] }\n", 4, 11,
       "expected an integer from 1 to 65535 for port"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 70000\n    allow: { users: [x] }\n", 4, 11,
       "expected an integer from 1 to 65535 for port"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 5901\n    allow: {}\n", 5, 12,
       "allow needs users, groups or both"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 5901\n    allow: [alice]\n", 5, 12,
       "expected a mapping for allow"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 5901\n    allow: { users: alice }\n", 5, 21,
       "expected a list of strings for users"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 5901\n    allow: { users: [[a]] }\n", 5, 22,
       "expected a list of strings for users"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 5901\n    allow: { groups: [\"\"] }\n", 5, 23,
       "expected a list of strings for groups"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 5901\n    allow: { users: [a], roles: [b] }\n",
       5, 26, "unknown key 'roles' in allow; expected one of: users, groups"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 5901\n    allow: { users: [a] }\n    shared: yes\n",
       6, 13, "expected true or false for shared"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 5901\n    allow: { users: [a] }\n    connect_timeout: 6m\n",
       6, 22, "expected a duration from 1ms to 5m for connect_timeout"},
      {"targets", "targets:\n  - name: a b\n    host: h\n    port: 5901\n    allow: { users: [a] }\n", 2, 11,
       "expected a target name of 1 to 64 letters, digits, '.', '_' or '-' for name"},
      {"targets", "targets:\n  - name: a/b\n    host: h\n    port: 5901\n    allow: { users: [a] }\n", 2, 11,
       "expected a target name of 1 to 64"},
      {"targets", "targets:\n  - name: a\n    hots: h\n    port: 5901\n    allow: { users: [a] }\n", 3, 5,
       "unknown key 'hots' in target; expected one of: name, host, display, port, password_file, allow, "
       "shared, connect_timeout; did you mean 'host'?"},
      {"targets", "targets:\n  - name: a\n    host: \"\"\n    port: 5901\n    allow: { users: [a] }\n", 3, 11,
       "expected a non-empty string for host"},
  })));
}

TEST_CASE("a target name is at most 64 characters", "[config]") {
  config_dir d;
  const std::string target = "targets:\n  - name: " + std::string(65, 'n') +
                             "\n    host: h\n    port: 5901\n    allow: { users: [a] }\n";
  expect_error(d.errors(target + rest_without("targets")), 2, 11, "expected a target name of 1 to 64",
               d.path("vncgate.yaml"));
  auto ok = d.load("targets:\n  - name: " + std::string(64, 'n') +
                   "\n    host: h\n    port: 5901\n    allow: { users: [a] }\n" + rest_without("targets"));
  CHECK(ok.has_value());
}

TEST_CASE("display must be an integer from 0 to 99", "[config]") {
  const std::string value = GENERATE("100", "-1", "1.5", "abc", "0x1", "[1]", "{a: 1}", "\"\"",
                                     "99999999999999999999", "1e1", "+1");
  config_dir d;
  const auto errors = d.errors("targets:\n  - name: only\n    host: h\n    display: " + value +
                               "\n    allow: { users: [a] }\n" + rest_without("targets"));
  expect_error(errors, 4, 14, "expected an integer from 0 to 99 for display", d.path("vncgate.yaml"));
}

TEST_CASE("an empty value is reported at its key", "[config]") {
  config_dir d;
  const auto errors = d.errors("targets:\n  - name: only\n    host: h\n    display:\n    allow: { users: [a] }\n" +
                               rest_without("targets"));
  expect_error(errors, 4, 5, "expected an integer from 0 to 99 for display", d.path("vncgate.yaml"));
}

TEST_CASE("booleans are true or false only", "[config]") {
  const std::string value = GENERATE("yes", "no", "on", "off", "1", "0", "maybe", "[true]", "y");
  config_dir d;
  const auto errors = d.errors("listeners:\n  - address: 0.0.0.0:5900\n    security: vencrypt\n"
                               "    allow_anonymous_tls: " + value + "\n" + rest_without("listeners"));
  expect_error(errors, 4, 26, "expected true or false for allow_anonymous_tls", d.path("vncgate.yaml"));
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
  CAPTURE(r.value);
  config_dir d;
  const auto errors = d.errors(std::string("listeners:\n  - address: ") + r.value +
                               "\n    security: vencrypt\n" + rest_without("listeners"));
  expect_error(errors, 2, 14, r.message, d.path("vncgate.yaml"));
}

TEST_CASE("cross-references between sections", "[config]") {
  config_dir d;
  const auto file = d.path("vncgate.yaml");
  SECTION("duplicate target names point at the second") {
    const auto errors = d.errors(yaml(R"(
targets:
  - name: a
    host: h
    port: 5901
    allow: { users: [x] }
  - name: a
    host: h
    port: 5902
    allow: { users: [x] }
)") + rest_without("targets"));
    expect_error(errors, 6, 11, "duplicate target name 'a'; first defined at line 2", file);
    CHECK(errors.size() == 1);
  }
  SECTION("a listener bound to an unknown target") {
    const auto errors = d.errors(yaml(R"(
listeners:
  - address: 0.0.0.0:5900
    security: vencrypt
    target: nope
)") + rest_without("listeners"));
    expect_error(errors, 4, 13, "target 'nope' is not one of the configured targets", file);
  }
  SECTION("a listener bound to a target that has errors of its own gets no second error") {
    const auto errors = d.errors(yaml(R"(
targets:
  - name: only
    host: h
    port: 0
    allow: { users: [x] }
listeners:
  - address: 0.0.0.0:5900
    security: vencrypt
    target: only
)") + tls_ok + auth_ok);
    REQUIRE(errors.size() == 1);
    expect_error(errors, 4, 11, "expected an integer from 1 to 65535 for port", file);
  }
  SECTION("two listeners on the same address") {
    const auto errors = d.errors(yaml(R"(
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
)") + rest_without("listeners"));
    expect_error(errors, 6, 14, "address 0.0.0.0:5900 is already used by the listener at line 2", file);
    expect_error(errors, 10, 14, "address [::]:5900 is already used by the listener at line 8", file);
    CHECK(errors.size() == 2);
  }
  SECTION("allow_anonymous_tls needs security: vencrypt") {
    const auto errors = d.errors(yaml(R"(
listeners:
  - address: 0.0.0.0:5900
    security: tls
    allow_anonymous_tls: true
)") + rest_without("listeners"));
    expect_error(errors, 4, 26, "allow_anonymous_tls is only valid with security: vencrypt", file);
  }
  SECTION("backend file without users_file") {
    const auto errors = d.errors("auth:\n  backend: file\n" + rest_without("auth"));
    expect_error(errors, 2, 3, "auth is missing 'users_file' (required with backend: file)", file);
  }
  SECTION("users_file with backend pam") {
    const auto errors = d.errors("auth:\n  backend: pam\n  users_file: users.yaml\n" + rest_without("auth"));
    expect_error(errors, 3, 15, "users_file is only used with backend: file", file);
  }
}

TEST_CASE("keys of the contract that are not built yet are errors", "[config]") {
  check_case(GENERATE(values<error_case>({
      {"", "metrics:\n  address: 127.0.0.1:9900\n", 1, 1, "metrics is not supported yet"},
      {"tls", "tls:\n  certificate: cert.pem\n  private_key: key.pem\n  client_ca: ca.pem\n", 4, 3,
       "client_ca is not supported yet"},
      {"targets", "targets:\n  - name: a\n    host: h\n    port: 5901\n    allow: { users: [a] }\n"
                  "    view_only: { groups: [auditors] }\n", 6, 5, "view_only is not supported yet"},
      {"", "policy:\n  allow_cidrs: [10.0.0.0/8]\n", 2, 3, "allow_cidrs is not supported yet"},
      {"", "policy:\n  connections_per_minute_per_ip: 30\n", 2, 3,
       "connections_per_minute_per_ip is not supported yet"},
      {"", "policy:\n  lockout: { failures: 5, window: 10m, duration: 15m }\n", 2, 3,
       "lockout is not supported yet"},
      {"", "policy:\n  idle_timeout: 30m\n", 2, 3, "idle_timeout is not supported yet"},
      {"", "policy:\n  max_session: 8h\n", 2, 3, "max_session is not supported yet"},
      {"listeners", "listeners:\n  - address: 0.0.0.0:5900\n    security: websocket\n", 3, 15,
       "security: websocket is not supported yet"},
      {"listeners", "listeners:\n  - address: 0.0.0.0:5900\n    security: plain\n", 3, 15,
       "security: plain is not supported yet"},
      {"listeners", "listeners:\n  - address: 0.0.0.0:5900\n    security: vencrypt\n    proxy_protocol: true\n",
       4, 21, "proxy_protocol is not supported yet"},
      {"auth", "auth:\n  backend: pam\n  second_factor: totp\n", 3, 18, "second_factor: totp is not supported yet"},
      {"auth", "auth:\n  backend: pam\n  second_factor: client_certificate\n", 3, 18,
       "second_factor: client_certificate is not supported yet"},
  })));
}

TEST_CASE("durations", "[config]") {
  const auto file_for = [](config_dir& d) { return d.path("vncgate.yaml"); };
  SECTION("malformed") {
    const std::string value = GENERATE("10", "10 s", "s", "-5s", "1.5s", "10sec", "5d", "1h 30m", "ms",
                                       "1S", "\"\"", "[10s]", "m5", "10s5");
    config_dir d;
    CAPTURE(value);
    const auto errors = d.errors("policy:\n  handshake_timeout: " + value + "\n" + rest_without(""));
    expect_error(errors, 2, 22,
                 "expected a duration such as 500ms, 10s, 5m or 8h for handshake_timeout", file_for(d));
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

TEST_CASE("TLS certificate and key", "[config]") {
  config_dir d;
  const auto file = d.path("vncgate.yaml");
  const std::string text = tls_ok + rest_without("tls");
  SECTION("key readable by the group") {
    fs::permissions(d.path("key.pem"), static_cast<fs::perms>(0640));
    const auto errors = d.errors(text);
    expect_error(errors, 3, 16, "chmod 600", file);
    expect_error(errors, 3, 16, d.path("key.pem").string(), file);
  }
  SECTION("key of another certificate") {
    d.write("key.pem", material().other_key, 0600);
    expect_error(d.errors(text), 3, 16,
                 "private key " + d.path("key.pem").string() + " does not match certificate " +
                     d.path("cert.pem").string(),
                 file);
  }
  SECTION("certificate is not PEM") {
    d.write("cert.pem", "not a certificate\n");
    expect_error(d.errors(text), 2, 16, "no PEM certificate found in " + d.path("cert.pem").string(), file);
  }
  SECTION("certificate file is a key") {
    d.write("cert.pem", material().key);
    expect_error(d.errors(text), 2, 16, "no PEM certificate found", file);
  }
  SECTION("certificate missing") {
    fs::remove(d.path("cert.pem"));
    const auto errors = d.errors(text);
    expect_error(errors, 2, 16, "cannot read certificate " + d.path("cert.pem").string(), file);
    expect_error(errors, 2, 16, "No such file or directory", file);
  }
  SECTION("key is not PEM") {
    d.write("key.pem", material().cert, 0600);
    expect_error(d.errors(text), 3, 16, "no PEM private key found in " + d.path("key.pem").string(), file);
  }
  SECTION("encrypted key is refused without prompting") {
    std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(material().key.data(), -1), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    REQUIRE(key);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
    unsigned char pass[] = "passphrase";
    REQUIRE(PEM_write_bio_PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), pass, 10, nullptr, nullptr) == 1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(out.get(), &data);
    d.write("key.pem", std::string_view(data, static_cast<std::size_t>(n)), 0600);
    expect_error(d.errors(text), 3, 16, "encrypted keys are not supported", file);
  }
}

TEST_CASE("upstream password files", "[config]") {
  config_dir d;
  const auto file = d.path("vncgate.yaml");
  const std::string text = yaml(R"(
targets:
  - name: only
    host: localhost
    port: 5901
    password_file: secrets/only
    allow: { users: [alice] }
)") + rest_without("targets");
  SECTION("readable by others") {
    d.write("secrets/only", "pw\n", 0644);
    const auto errors = d.errors(text);
    expect_error(errors, 5, 20, "chmod 600", file);
    expect_error(errors, 5, 20, d.path("secrets/only").string(), file);
  }
  SECTION("missing") {
    expect_error(d.errors(text), 5, 20, d.path("secrets/only").string(), file);
  }
  SECTION("empty") {
    d.write("secrets/only", "\n", 0600);
    expect_error(d.errors(text), 5, 20, "empty", file);
  }
  SECTION("binary vncpasswd file with both passwords") {
    // `vncpasswd -f` of "secret", twice (full and view-only).
    const unsigned char bytes[] = {0x2e, 0x2d, 0xbf, 0x57, 0x6e, 0xb0, 0x6c, 0x9e,
                                   0x2e, 0x2d, 0xbf, 0x57, 0x6e, 0xb0, 0x6c, 0x9e};
    d.write("secrets/only", std::string_view(reinterpret_cast<const char*>(bytes), 16), 0600);
    const auto result = d.load(text);
    if (!result) FAIL(dump(result.error()));
    CHECK(result->targets.at(0).password == "secret");
  }
  SECTION("text with CRLF") {
    d.write("secrets/only", "pa ss\r\nsecond line\n", 0600);
    const auto result = d.load(text);
    if (!result) FAIL(dump(result.error()));
    CHECK(result->targets.at(0).password == "pa ss");
  }
}

TEST_CASE("users file", "[config]") {
  config_dir d;
  const auto file = d.path("vncgate.yaml");
  const auto users = d.path("users.yaml");
  const std::string text = "auth:\n  backend: file\n  users_file: users.yaml\n" + rest_without("auth");
  SECTION("errors inside carry the users file's name and position") {
    d.write("users.yaml", yaml(R"(
users:
  alice:
    password_hash: "$1$abc$xyz"
    groups: [designers]
  bob:
    groups: admins
    pasword_hash: x
)"),
            0600);
    const auto errors = d.errors(text);
    expect_error(errors, 3, 20, "unsupported password hash for alice: use `vncgate hash-password`", users);
    expect_error(errors, 6, 13, "expected a list of strings for groups", users);
    expect_error(errors, 7, 5,
                 "unknown key 'pasword_hash' in user 'bob'; expected one of: password_hash, groups; "
                 "did you mean 'password_hash'?",
                 users);
    expect_error(errors, 6, 5, "user 'bob' is missing 'password_hash'", users);
    CHECK(errors.size() == 4);
  }
  SECTION("hashes that only look right are refused") {
    const std::string hash = GENERATE("$6$salt$short", "$y$j9T$salt$", "plain-text-password", "$2b$10$abc",
                                      "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO");
    d.write("users.yaml", "users:\n  alice:\n    password_hash: '" + hash + "'\n", 0600);
    expect_error(d.errors(text), 3, 20, "unsupported password hash for alice", users);
  }
  SECTION("readable by others: reported in the main file at users_file") {
    d.write("users.yaml", "users:\n  alice:\n    password_hash: '" + sha512_hash + "'\n", 0644);
    const auto errors = d.errors(text);
    expect_error(errors, 3, 15, "chmod 600", file);
    expect_error(errors, 3, 15, users.string(), file);
  }
  SECTION("missing") {
    expect_error(d.errors(text), 3, 15, users.string(), file);
  }
  SECTION("syntax error") {
    d.write("users.yaml", "users:\n  alice:\n    password_hash: abc\n      groups: [a]\n", 0600);
    const auto errors = d.errors(text);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].file == users.string());
    CHECK(errors[0].line == 4);
    CHECK(errors[0].column == 13);
  }
  SECTION("empty file") {
    d.write("users.yaml", "", 0600);
    expect_error(d.errors(text), 0, 0, "the users file is empty", users);
  }
  SECTION("no users") {
    d.write("users.yaml", "users: {}\n", 0600);
    expect_error(d.errors(text), 1, 8, "users is empty", users);
  }
  SECTION("users is not a mapping") {
    d.write("users.yaml", "users: [alice]\n", 0600);
    expect_error(d.errors(text), 1, 8, "expected a mapping of user names for users", users);
  }
  SECTION("unknown top-level key and missing users") {
    d.write("users.yaml", "user:\n  alice: {}\n", 0600);
    const auto errors = d.errors(text);
    expect_error(errors, 1, 1, "unknown key 'user' in the users file; expected one of: users; did you mean 'users'?",
                 users);
    expect_error(errors, 1, 1, "the users file is missing 'users'", users);
  }
  SECTION("duplicate user") {
    d.write("users.yaml",
            "users:\n  alice:\n    password_hash: '" + sha512_hash + "'\n  alice:\n    password_hash: '" +
                sha512_hash + "'\n",
            0600);
    expect_error(d.errors(text), 4, 3, "duplicate user 'alice'", users);
  }
  SECTION("main file errors come before users file errors") {
    d.write("users.yaml", "users: {}\n", 0600);
    const auto errors = d.errors(text + "workers: x\n");
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].file == file.string());
    CHECK(errors[1].file == users.string());
  }
}

TEST_CASE("YAML syntax errors are placed where the parser stopped", "[config]") {
  config_dir d;
  const auto errors = d.errors("tls:\n  certificate: cert.pem\n    private_key: key.pem\n" + rest_without("tls"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].file == d.path("vncgate.yaml").string());
  CHECK(errors[0].line == 3);
  CHECK(errors[0].column == 16);  // the ':' that cannot start a mapping there
  CHECK(errors[0].message == "illegal map value");
}

TEST_CASE("unreadable and empty configuration files", "[config]") {
  config_dir d;
  SECTION("missing") {
    const auto path = d.path("nope.yaml");
    const auto result = load_config(path);
    REQUIRE_FALSE(result);
    REQUIRE(result.error().size() == 1);
    CHECK(result.error()[0].file == path.string());
    CHECK(result.error()[0].line == 0);
    CHECK(result.error()[0].message.find("No such file or directory") != std::string::npos);
  }
  SECTION("a directory") {
    const auto result = load_config(d.path(""));
    REQUIRE_FALSE(result);
    CHECK(result.error().at(0).line == 0);
  }
  SECTION("empty") {
    expect_error(d.errors(""), 0, 0, "the configuration file is empty", d.path("vncgate.yaml"));
  }
  SECTION("comments only") {
    expect_error(d.errors("# nothing\n"), 0, 0, "the configuration file is empty", d.path("vncgate.yaml"));
  }
  SECTION("not a mapping") {
    expect_error(d.errors("- a\n- b\n"), 1, 1, "expected a mapping for the configuration",
                 d.path("vncgate.yaml"));
  }
  SECTION("two documents") {
    expect_error(d.errors(rest_without("") + "---\nworkers: 1\n"), 15, 1,
                 "only one YAML document is allowed", d.path("vncgate.yaml"));
  }
}

TEST_CASE("nothing thrown escapes load_config", "[config]") {
  const std::string text = GENERATE(std::string("\x00\x01\xff\xfe", 4), std::string("["), std::string("{"),
                                    std::string("- - -"), std::string("*a"), std::string("&a [*a, *a]"),
                                    std::string("listeners: &l\n  - *l\n"), std::string(20000, '['),
                                    std::string(20000, '{'), std::string("? [a, b]\n: c\n"),
                                    std::string("listeners:\n  - ? [a]\n    : b\n"), std::string("\t\t: :"),
                                    std::string("targets: [&t {name: x}, *t, *t]\n"));
  config_dir d;
  d.write("vncgate.yaml", text);
  std::optional<load_result> result;
  REQUIRE_NOTHROW(result.emplace(load_config(d.path("vncgate.yaml"))));
  REQUIRE_FALSE(*result);
  CHECK_FALSE(result->error().empty());
  for (const auto& e : result->error()) CHECK(e.file == d.path("vncgate.yaml").string());
}
