// config_test_support.hpp — what the config_*_test.cpp files share: TLS material made
// once per run, valid sections to complete a configuration with, a temporary directory
// to load files from, and the checks that place an error at its file, line and column.
//
// The section under test is written first in each YAML text, so the expected line and
// column can be read off the text itself; the other required sections follow, valid.
// Where a text starts with one of the valid pieces below, its comment says how many
// lines that piece takes.
//
// Header-only on purpose: tests/CMakeLists.txt builds each *_test.cpp alone, so there is
// no second translation unit to put definitions in. Each binary includes this once.
#pragma once

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config.hpp"

namespace vncgate::gateway::tests {

namespace fs = std::filesystem;

struct tls_material {
  std::string cert, key, other_key;
};

inline std::string pem_of_key(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed P-256 certificate, its key, and an unrelated key; made once per run.
inline const tls_material& material() {
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
inline std::string yaml(const char* text) { return text[0] == '\n' ? text + 1 : text; }

// The four required sections, valid. listeners_ok and tls_ok take 3 lines, auth_ok 2.
inline const std::string listeners_ok = "listeners:\n  - address: 127.0.0.1:5900\n    security: vencrypt\n";
inline const std::string tls_ok = "tls:\n  certificate: cert.pem\n  private_key: key.pem\n";
inline const std::string auth_ok = "auth:\n  backend: pam\n";
inline const std::string targets_ok =
    "targets:\n  - name: only\n    host: localhost\n    port: 5901\n    allow: { users: [alice] }\n";

// All the required sections except `omit` ("" keeps all four).
inline std::string rest_without(std::string_view omit) {
  std::string out;
  if (omit != "listeners") out += listeners_ok;
  if (omit != "tls") out += tls_ok;
  if (omit != "auth") out += auth_ok;
  if (omit != "targets") out += targets_ok;
  return out;
}

// Beginnings of sections for texts that add the lines under test after them.
// listener_head: 2 lines, a listener without its security.
inline const std::string listener_head = "listeners:\n  - address: 0.0.0.0:5900\n";
// target_head: 3 lines, `targets:`, `- name: a`, `host: h`.
inline const std::string target_head = "targets:\n  - name: a\n    host: h\n";
// target_without_allow: 4 lines, target_head and `port: 5901`.
inline const std::string target_without_allow = target_head + "    port: 5901\n";

// A targets section of one valid target, 5 lines: `targets:`, `- name: <name>`,
// `host: <host>`, `port: 5901`, `allow: { users: [a] }`.
inline std::string one_target(std::string_view name = "a", std::string_view host = "h") {
  return "targets:\n  - name: " + std::string(name) + "\n    host: " + std::string(host) +
         "\n    port: 5901\n    allow: { users: [a] }\n";
}

// Two SHA-512 crypt hashes (`openssl passwd -6 -salt saltsalt secret`, and one yescrypt
// shape) that is_supported_hash accepts.
inline const std::string sha512_hash =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
inline const std::string yescrypt_hash = "$y$j9T$abcdefghijklmnopqrstu.$0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

using load_result = decltype(load_config(fs::path()));

// A fresh temporary directory holding cert.pem and key.pem (tls_ok's files); removed with
// everything in it at the end of the test.
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

  // Loads `text` as vncgate.yaml.
  load_result load(std::string_view text) {
    write("vncgate.yaml", text);
    return load_config(path("vncgate.yaml"));
  }

  // The errors of loading `text` as vncgate.yaml; fails the test if it loads.
  std::vector<config_error> errors(std::string_view text) {
    auto result = load(text);
    if (result) FAIL("the configuration was accepted:\n" << text);
    return result.error();
  }

 private:
  fs::path dir_;
};

inline std::string dump(const std::vector<config_error>& errors) {
  std::ostringstream out;
  for (const auto& e : errors) out << e.to_string() << "\n";
  return out.str();
}

inline const config_error* find(const std::vector<config_error>& errors, std::string_view text) {
  for (const auto& e : errors) {
    if (e.message.find(text) != std::string::npos) return &e;
  }
  return nullptr;
}

// There is an error whose message holds `text`, at line:column of `file`.
inline void expect_error(const std::vector<config_error>& errors, int line, int column, std::string_view text,
                         const fs::path& file) {
  INFO("looking for " << line << ":" << column << " '" << text << "' in\n" << dump(errors));
  const auto* e = find(errors, text);
  REQUIRE(e != nullptr);
  CHECK(e->file == file.string());
  CHECK(e->line == line);
  CHECK(e->column == column);
}

// A text that stands in for the section `replaces` ("" for none: it is added to all four)
// and is refused with an error at line:column whose message holds `message`.
struct error_case {
  const char* replaces;
  std::string text;
  int line;
  int column;
  const char* message;
};

inline void check_case(config_dir& d, const error_case& c) {
  CAPTURE(c.text);
  const auto errors = d.errors(c.text + rest_without(c.replaces));
  expect_error(errors, c.line, c.column, c.message, d.path("vncgate.yaml"));
}

inline void check_case(const error_case& c) {
  config_dir d;
  check_case(d, c);
}

// An error that must be among those reported: its place and a part of its message.
struct placed_error {
  int line;
  int column;
  std::string message;
};

// A whole file that is refused with at least `errors`, or with exactly them when `count`
// is set; `what` names the case in the report.
struct refusal {
  const char* what;
  std::string text;
  std::vector<placed_error> errors;
  std::optional<std::size_t> count = std::nullopt;
};

// Each of `expected.errors` is in `errors`, placed in `file`.
inline void expect_errors(const std::vector<config_error>& errors, const refusal& expected, const fs::path& file) {
  INFO(expected.what);
  for (const auto& e : expected.errors) expect_error(errors, e.line, e.column, e.message, file);
  if (expected.count) CHECK(errors.size() == *expected.count);
}

// Loads `r.text` as vncgate.yaml and checks that it is refused as `r` says.
inline void check_refusal(config_dir& d, const refusal& r) {
  expect_errors(d.errors(r.text), r, d.path("vncgate.yaml"));
}

// An address list as the canonical CIDR texts, for comparing with what a YAML said.
inline std::vector<std::string> texts(const std::vector<policy::cidr>& list) {
  std::vector<std::string> out;
  for (const auto& c : list) out.push_back(c.to_string());
  return out;
}

}  // namespace vncgate::gateway::tests
