// auth_client_certificate_test.cpp — the user a client certificate names, per
// tls.client_identity (subject CN, SAN email, SAN DNS, SAN UPN otherName), refused when
// the field is missing, ambiguous, or holds a NUL or control character; and the
// printable subject and serial the audit records. Certificates are built in-process.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "auth/client_certificate.hpp"

using namespace vncgate::auth;

namespace {

struct x509_free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;

EVP_PKEY* test_key() {
  static std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  return key.get();
}

// A certificate under construction: subject entries and subjectAltNames, then signed.
class cert_builder {
 public:
  cert_builder() : x_(X509_new()), sans_(GENERAL_NAMES_new()) {
    X509_set_version(x_.get(), 2);
    X509_gmtime_adj(X509_getm_notBefore(x_.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(x_.get()), 3600);
  }
  ~cert_builder() { GENERAL_NAMES_free(sans_); }

  // `value` may hold any bytes, NUL included.
  cert_builder& subject(const char* field, const std::string& value) {
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x_.get()), field, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()),
                               -1, 0);
    return *this;
  }
  cert_builder& san(int type, const std::string& value) {
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    ASN1_STRING_set(s, value.data(), static_cast<int>(value.size()));
    GENERAL_NAME* g = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(g, type, s);
    sk_GENERAL_NAME_push(sans_, g);
    return *this;
  }
  // otherName with `oid`, its value a UTF8String (or an IA5String when `utf8` is false).
  cert_builder& other_name(const char* oid, const std::string& value, bool utf8 = true) {
    ASN1_STRING* s = utf8 ? ASN1_UTF8STRING_new() : ASN1_IA5STRING_new();
    ASN1_STRING_set(s, value.data(), static_cast<int>(value.size()));
    ASN1_TYPE* t = ASN1_TYPE_new();
    ASN1_TYPE_set(t, utf8 ? V_ASN1_UTF8STRING : V_ASN1_IA5STRING, s);
    GENERAL_NAME* g = GENERAL_NAME_new();
    GENERAL_NAME_set0_othername(g, OBJ_txt2obj(oid, 1), t);
    sk_GENERAL_NAME_push(sans_, g);
    return *this;
  }
  cert_builder& serial(long n) {
    ASN1_INTEGER_set(X509_get_serialNumber(x_.get()), n);
    return *this;
  }
  x509_ptr build() {
    if (sk_GENERAL_NAME_num(sans_) > 0) X509_add1_ext_i2d(x_.get(), NID_subject_alt_name, sans_, 0, X509V3_ADD_DEFAULT);
    X509_set_issuer_name(x_.get(), X509_get_subject_name(x_.get()));
    X509_set_pubkey(x_.get(), test_key());
    REQUIRE(X509_sign(x_.get(), test_key(), EVP_sha256()) > 0);
    return std::move(x_);
  }

 private:
  x509_ptr x_;
  GENERAL_NAMES* sans_;
};

constexpr const char* upn = "1.3.6.1.4.1.311.20.2.3";

std::string user_of(X509* x, certificate_identity id) {
  auto r = certificate_user(x, id);
  if (!r) FAIL("refused: " << r.error());
  return *r;
}

std::string refusal_of(X509* x, certificate_identity id) {
  auto r = certificate_user(x, id);
  if (r) FAIL("accepted as '" << *r << "'");
  return r.error();
}

}  // namespace

TEST_CASE("each identity kind reads its own field", "[auth]") {
  auto x = cert_builder()
               .subject("O", "Example")
               .subject("CN", "alice")
               .san(GEN_EMAIL, "alice.mail@example.com")
               .san(GEN_DNS, "alice-laptop.example.com")
               .other_name("1.2.3.4", "not-a-upn")
               .other_name(upn, "alice.upn@EXAMPLE.COM")
               .build();
  CHECK(user_of(x.get(), certificate_identity::cn) == "alice");
  CHECK(user_of(x.get(), certificate_identity::san_email) == "alice.mail@example.com");
  CHECK(user_of(x.get(), certificate_identity::san_dns) == "alice-laptop.example.com");
  CHECK(user_of(x.get(), certificate_identity::san_upn) == "alice.upn@EXAMPLE.COM");
}

TEST_CASE("a UTF-8 CN is kept as UTF-8", "[auth]") {
  auto x = cert_builder().subject("CN", "j\xc3\xb6rg").build();
  CHECK(user_of(x.get(), certificate_identity::cn) == "j\xc3\xb6rg");
}

TEST_CASE("a missing field names no user", "[auth]") {
  auto only_cn = cert_builder().subject("CN", "alice").build();
  CHECK(refusal_of(only_cn.get(), certificate_identity::san_email) == "the certificate has no SAN email");
  CHECK(refusal_of(only_cn.get(), certificate_identity::san_dns) == "the certificate has no SAN DNS name");
  CHECK(refusal_of(only_cn.get(), certificate_identity::san_upn) == "the certificate has no SAN UPN");
  auto no_cn = cert_builder().subject("O", "Example").san(GEN_DNS, "host.example.com").build();
  CHECK(refusal_of(no_cn.get(), certificate_identity::cn) == "the certificate has no subject CN");
  // An otherName with another OID is not a UPN.
  auto other = cert_builder().subject("CN", "alice").other_name("1.2.3.4", "alice@EXAMPLE.COM").build();
  CHECK(refusal_of(other.get(), certificate_identity::san_upn) == "the certificate has no SAN UPN");
  CHECK(refusal_of(nullptr, certificate_identity::cn) == "no certificate");
}

TEST_CASE("several different values are ambiguous, the same one twice is not", "[auth]") {
  auto two_cns = cert_builder().subject("CN", "alice").subject("CN", "bob").build();
  CHECK(refusal_of(two_cns.get(), certificate_identity::cn) ==
        "the certificate has 2 different subject CN values (ambiguous)");
  auto two_emails = cert_builder().subject("CN", "x").san(GEN_EMAIL, "a@example.com").san(GEN_EMAIL, "b@example.com").build();
  CHECK(refusal_of(two_emails.get(), certificate_identity::san_email).find("ambiguous") != std::string::npos);
  auto two_upns = cert_builder().subject("CN", "x").other_name(upn, "a@EX").other_name(upn, "b@EX").build();
  CHECK(refusal_of(two_upns.get(), certificate_identity::san_upn).find("ambiguous") != std::string::npos);
  auto same_twice = cert_builder().subject("CN", "alice").subject("CN", "alice").build();
  CHECK(user_of(same_twice.get(), certificate_identity::cn) == "alice");
}

TEST_CASE("NUL and control characters are refused, not cut or passed on", "[auth]") {
  auto nul_email = cert_builder().subject("CN", "x").san(GEN_EMAIL, std::string("alice\0@evil.example", 19)).build();
  CHECK(refusal_of(nul_email.get(), certificate_identity::san_email) ==
        "the SAN email contains a NUL or control character");
  auto nul_dns = cert_builder().subject("CN", "x").san(GEN_DNS, std::string("alice\0.evil", 11)).build();
  CHECK(refusal_of(nul_dns.get(), certificate_identity::san_dns).find("NUL") != std::string::npos);
  auto nul_upn = cert_builder().subject("CN", "x").other_name(upn, std::string("alice\0x", 7)).build();
  CHECK(refusal_of(nul_upn.get(), certificate_identity::san_upn).find("NUL") != std::string::npos);
  auto escape_cn = cert_builder().subject("CN", "alice\x1b[31m").build();
  CHECK(refusal_of(escape_cn.get(), certificate_identity::cn).find("control character") != std::string::npos);
  auto newline_cn = cert_builder().subject("CN", "alice\nroot").build();
  CHECK(refusal_of(newline_cn.get(), certificate_identity::cn).find("control character") != std::string::npos);
  auto del = cert_builder().subject("CN", "x").san(GEN_EMAIL, "a\x7f@example.com").build();
  CHECK(refusal_of(del.get(), certificate_identity::san_email).find("control character") != std::string::npos);
}

TEST_CASE("a UPN that is not a UTF8String is refused", "[auth]") {
  auto x = cert_builder().subject("CN", "x").other_name(upn, "alice@EX", false).build();
  CHECK(refusal_of(x.get(), certificate_identity::san_upn) == "the SAN UPN is not a readable string");
}

TEST_CASE("identity names round-trip", "[auth]") {
  for (auto id : {certificate_identity::cn, certificate_identity::san_email, certificate_identity::san_dns,
                  certificate_identity::san_upn})
    CHECK(parse_certificate_identity(to_string(id)) == id);
  CHECK_FALSE(parse_certificate_identity("CN"));
  CHECK_FALSE(parse_certificate_identity("upn"));
  CHECK_FALSE(parse_certificate_identity(""));
}

TEST_CASE("audit subject and serial: one printable, bounded line", "[auth]") {
  auto x = cert_builder().serial(0x1a2b).subject("O", "Example").subject("CN", "alice").build();
  CHECK(certificate_subject(x.get()) == "CN=alice,O=Example");
  CHECK(certificate_serial(x.get()) == "1A2B");

  auto hostile = cert_builder().subject("CN", std::string("al\nice\x1b\0x", 9)).build();
  const auto subject = certificate_subject(hostile.get());
  CAPTURE(subject);
  for (char c : subject) CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
  CHECK(subject.find("al") == 3);

  auto utf8 = cert_builder().subject("CN", "j\xc3\xb6rg").build();
  CHECK(certificate_subject(utf8.get()) == "CN=j\xc3\xb6rg");

  auto long_one = cert_builder().subject("CN", std::string(60, 'a')).subject("OU", std::string(60, 'b'))
                      .subject("OU", std::string(60, 'c')).subject("OU", std::string(60, 'd'))
                      .subject("OU", std::string(60, 'e')).build();
  const auto bounded = certificate_subject(long_one.get());
  CHECK(bounded.size() <= 256);
  CHECK(bounded.ends_with("..."));
  CHECK(certificate_subject(nullptr) == "-");
  CHECK(certificate_serial(nullptr) == "-");
}
