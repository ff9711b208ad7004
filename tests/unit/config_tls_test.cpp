// config_tls_test.cpp — the mTLS keys: tls.client_ca, tls.client_crl, tls.client_identity
// and the listener's client_certificate (off | optional | required): defaults, values,
// the files they name (read at load, and again when the runtime is built, as on a
// reload), and every error placed at its key's value. Also tls.kernel_tls (auto | off),
// and a certificate and key reached through a Kubernetes Secret volume's links.
#include <catch2/catch.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "config_test_support.hpp"
#include "gateway/runtime.hpp"

using namespace vncgate::gateway;
using namespace vncgate::gateway::tests;

namespace {

// A CRL issued by material()'s certificate, listing serial 7; PEM.
std::string crl_pem() {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_in(BIO_new_mem_buf(material().cert.data(), -1), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> ca(PEM_read_bio_X509(cert_in.get(), nullptr, nullptr, nullptr),
                                                 X509_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> key_in(BIO_new_mem_buf(material().key.data(), -1), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  REQUIRE(ca);
  REQUIRE(key);
  std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(X509_CRL_new(), X509_CRL_free);
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get()));
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> now(X509_gmtime_adj(nullptr, 0), ASN1_TIME_free);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> next(X509_gmtime_adj(nullptr, 3600), ASN1_TIME_free);
  X509_CRL_set1_lastUpdate(crl.get(), now.get());
  X509_CRL_set1_nextUpdate(crl.get(), next.get());
  X509_REVOKED* revoked = X509_REVOKED_new();
  std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)> serial(ASN1_INTEGER_new(), ASN1_INTEGER_free);
  ASN1_INTEGER_set(serial.get(), 7);
  X509_REVOKED_set_serialNumber(revoked, serial.get());
  X509_REVOKED_set_revocationDate(revoked, now.get());
  X509_CRL_add0_revoked(crl.get(), revoked);
  REQUIRE(X509_CRL_sign(crl.get(), key.get(), EVP_sha256()) > 0);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509_CRL(out.get(), crl.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A listener (3 lines + `extra`, each indented under it) and a tls section (3 lines +
// `tls_extra`), followed by valid auth and targets.
std::string text(const std::string& listener_extra, const std::string& tls_extra) {
  return listeners_ok + listener_extra + tls_ok + tls_extra + auth_ok + targets_ok;
}

// A config_dir that also holds ca.pem (material()'s certificate) and crl.pem.
struct pki_dir : config_dir {
  pki_dir() {
    write("ca.pem", material().cert);
    write("crl.pem", crl_pem());
  }
};

}  // namespace

TEST_CASE("without client_ca no listener asks for a certificate", "[config]") {
  pki_dir d;
  auto cfg = d.load(text("", ""));
  REQUIRE(cfg);
  CHECK_FALSE(cfg->tls.client_ca);
  CHECK_FALSE(cfg->tls.client_crl);
  CHECK(cfg->tls.client_identity == vncgate::auth::certificate_identity::cn);
  CHECK(cfg->listeners[0].client_certificate == client_certificate_mode::off);
}

TEST_CASE("with client_ca a listener asks by default (optional)", "[config]") {
  pki_dir d;
  auto cfg = d.load(listeners_ok + "  - address: 127.0.0.1:5901\n    security: tls\n" +
                    "  - address: 127.0.0.1:5902\n    security: vencrypt\n    client_certificate: required\n" +
                    "  - address: 127.0.0.1:5903\n    security: vencrypt\n    client_certificate: off\n" +
                    tls_ok + "  client_ca: ca.pem\n  client_crl: crl.pem\n  client_identity: san_upn\n" + auth_ok +
                    targets_ok);
  if (!cfg) FAIL(dump(cfg.error()));
  REQUIRE(cfg->tls.client_ca);
  CHECK(*cfg->tls.client_ca == d.path("ca.pem"));
  REQUIRE(cfg->tls.client_crl);
  CHECK(*cfg->tls.client_crl == d.path("crl.pem"));
  CHECK(cfg->tls.client_identity == vncgate::auth::certificate_identity::san_upn);
  REQUIRE(cfg->listeners.size() == 4);
  CHECK(cfg->listeners[0].client_certificate == client_certificate_mode::optional);
  CHECK(cfg->listeners[1].client_certificate == client_certificate_mode::optional);
  CHECK(cfg->listeners[2].client_certificate == client_certificate_mode::required);
  CHECK(cfg->listeners[3].client_certificate == client_certificate_mode::off);
}

TEST_CASE("client_identity takes each documented value", "[config]") {
  using vncgate::auth::certificate_identity;
  const auto [name, expected] = GENERATE(table<const char*, certificate_identity>({
      {"cn", certificate_identity::cn},
      {"san_email", certificate_identity::san_email},
      {"san_dns", certificate_identity::san_dns},
      {"san_upn", certificate_identity::san_upn},
  }));
  pki_dir d;
  auto cfg = d.load(text("", "  client_ca: ca.pem\n  client_identity: " + std::string(name) + "\n"));
  if (!cfg) FAIL(dump(cfg.error()));
  CHECK(cfg->tls.client_identity == expected);
}

TEST_CASE("kernel_tls: auto by default, auto or off when given, anything else an error at its value",
          "[config]") {
  pki_dir d;
  const auto file = d.path("vncgate.yaml");
  SECTION("absent: auto") {
    auto cfg = d.load(text("", ""));
    if (!cfg) FAIL(dump(cfg.error()));
    CHECK(cfg->tls.kernel_tls);
  }
  SECTION("auto") {
    auto cfg = d.load(text("", "  kernel_tls: auto\n"));
    if (!cfg) FAIL(dump(cfg.error()));
    CHECK(cfg->tls.kernel_tls);
  }
  SECTION("off") {
    auto cfg = d.load(text("", "  kernel_tls: off\n"));
    if (!cfg) FAIL(dump(cfg.error()));
    CHECK_FALSE(cfg->tls.kernel_tls);
  }
  // tls_ok's 3 lines follow listeners_ok's 3: the first tls extra line is line 7.
  SECTION("an unknown value") {
    expect_error(d.errors(text("", "  kernel_tls: maybe\n")), 7, 15, "expected auto or off for kernel_tls", file);
  }
  SECTION("a boolean is not a value either") {
    expect_error(d.errors(text("", "  kernel_tls: true\n")), 7, 15, "expected auto or off for kernel_tls", file);
  }
  SECTION("not a string") {
    expect_error(d.errors(text("", "  kernel_tls: [auto]\n")), 7, 15, "kernel_tls", file);
  }
}

TEST_CASE("mTLS keys: errors at their values", "[config]") {
  pki_dir d;
  const auto file = d.path("vncgate.yaml");
  // listeners_ok is 3 lines, so a listener extra line is line 4; with no listener extra,
  // tls_ok (3 lines) puts the first tls extra line at line 7.
  SECTION("optional without client_ca") {
    expect_error(d.errors(text("    client_certificate: optional\n", "")), 4, 25,
                 "client_certificate: optional needs tls.client_ca", file);
  }
  SECTION("required without client_ca") {
    expect_error(d.errors(text("    client_certificate: required\n", "")), 4, 25,
                 "client_certificate: required needs tls.client_ca", file);
  }
  SECTION("an unknown mode") {
    expect_error(d.errors(text("    client_certificate: yes\n", "  client_ca: ca.pem\n")), 4, 25,
                 "expected off, optional or required for client_certificate", file);
  }
  SECTION("required with anonymous TLS") {
    expect_error(d.errors(text("    allow_anonymous_tls: true\n    client_certificate: required\n",
                               "  client_ca: ca.pem\n")),
                 5, 25, "cannot be combined with allow_anonymous_tls: true", file);
  }
  SECTION("optional with anonymous TLS is fine") {
    auto cfg = d.load(text("    allow_anonymous_tls: true\n", "  client_ca: ca.pem\n"));
    if (!cfg) FAIL(dump(cfg.error()));
    CHECK(cfg->listeners[0].client_certificate == client_certificate_mode::optional);
  }
  SECTION("client_crl without client_ca") {
    expect_error(d.errors(text("", "  client_crl: crl.pem\n")), 7, 15, "client_crl needs client_ca", file);
  }
  SECTION("an unknown identity") {
    expect_error(d.errors(text("", "  client_ca: ca.pem\n  client_identity: upn\n")), 8, 20,
                 "expected cn, san_email, san_dns or san_upn for client_identity", file);
  }
  SECTION("client_ca missing") {
    const auto errors = d.errors(text("", "  client_ca: nowhere.pem\n"));
    expect_error(errors, 7, 14, "client CA file: cannot read " + d.path("nowhere.pem").string(), file);
    expect_error(errors, 7, 14, "No such file or directory", file);
  }
  SECTION("client_ca is not PEM") {
    d.write("ca.pem", "not a certificate\n");
    expect_error(d.errors(text("", "  client_ca: ca.pem\n")), 7, 14,
                 "no PEM certificate found in client CA file " + d.path("ca.pem").string(), file);
  }
  SECTION("client_ca holds a key, not a certificate") {
    d.write("ca.pem", material().key);
    expect_error(d.errors(text("", "  client_ca: ca.pem\n")), 7, 14, "no PEM certificate found", file);
  }
  SECTION("client_ca with a broken certificate after a good one") {
    d.write("ca.pem", material().cert + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expect_error(d.errors(text("", "  client_ca: ca.pem\n")), 7, 14,
                 "client CA file " + d.path("ca.pem").string() + ": broken PEM certificate", file);
  }
  SECTION("client_crl is a certificate") {
    d.write("crl.pem", material().cert);
    expect_error(d.errors(text("", "  client_ca: ca.pem\n  client_crl: crl.pem\n")), 8, 15,
                 "no PEM CRL found in client CRL file " + d.path("crl.pem").string(), file);
  }
  SECTION("client_crl missing") {
    expect_error(d.errors(text("", "  client_ca: ca.pem\n  client_crl: gone.pem\n")), 8, 15,
                 "client CRL file: cannot read " + d.path("gone.pem").string(), file);
  }
  SECTION("client_ca: not a string") {
    expect_error(d.errors(text("", "  client_ca: [a]\n")), 7, 14, "client_ca", file);
  }
}

TEST_CASE("the runtime loads the client CA and CRL again (as a reload does)", "[config]") {
  pki_dir d;
  auto cfg = d.load(text("    client_certificate: required\n", "  client_ca: ca.pem\n  client_crl: crl.pem\n"));
  if (!cfg) FAIL(dump(cfg.error()));
  SECTION("good files") {
    auto rt = make_runtime(std::move(*cfg));
    if (!rt) FAIL(rt.error());
    SSL_CTX* ctx = (*rt)->tls.x509->native_handle();
    // The CA names sent in the CertificateRequest.
    CHECK(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(ctx)) == 1);
  }
  SECTION("a CRL broken since the load") {
    d.write("crl.pem", "gone bad\n");
    auto rt = make_runtime(std::move(*cfg));
    REQUIRE_FALSE(rt);
    CHECK(rt.error() == "no PEM CRL found in client CRL file " + d.path("crl.pem").string());
  }
  SECTION("a CA removed since the load") {
    std::filesystem::remove(d.path("ca.pem"));
    auto rt = make_runtime(std::move(*cfg));
    REQUIRE_FALSE(rt);
    CHECK(rt.error().find("client CA file: cannot read " + d.path("ca.pem").string()) == 0);
  }
}

TEST_CASE("a certificate and key in a Kubernetes Secret volume load, and the runtime builds from them",
          "[config][k8s]") {
  // The kubelet's layout: tls/..<timestamp>/ holds the files, tls/..data links to it and
  // each name links to ..data/<name>; with fsGroup the key is 0440 root:fsGroup.
  config_dir d;
  d.write("tls/..2026_12_04_20_53_22.123456789/tls.crt", material().cert);
  const auto key = d.write("tls/..2026_12_04_20_53_22.123456789/tls.key", material().key, 0440);
  REQUIRE(::chown(key.c_str(), 0, ::getegid()) == 0);
  fs::create_symlink("..2026_12_04_20_53_22.123456789", d.path("tls/..data"));
  fs::create_symlink("..data/tls.crt", d.path("tls/tls.crt"));
  fs::create_symlink("..data/tls.key", d.path("tls/tls.key"));

  auto cfg = d.load(listeners_ok + "tls:\n  certificate: tls/tls.crt\n  private_key: tls/tls.key\n" + auth_ok +
                    targets_ok);
  if (!cfg) FAIL(dump(cfg.error()));
  CHECK(cfg->tls.private_key == d.path("tls/tls.key"));
  auto rt = make_runtime(std::move(*cfg));
  if (!rt) FAIL(rt.error());
  CHECK(SSL_CTX_get0_privatekey((*rt)->tls.x509->native_handle()) != nullptr);

  SECTION("the default mode 0644 is refused at the key, naming the fix") {
    fs::permissions(key, static_cast<fs::perms>(0644));
    const auto file = d.path("vncgate.yaml");
    expect_error(d.errors(listeners_ok + "tls:\n  certificate: tls/tls.crt\n  private_key: tls/tls.key\n" + auth_ok +
                          targets_ok),
                 6, 16, "mode 0644: readable by others; set defaultMode: 0400 in the Secret volume", file);
  }
}
