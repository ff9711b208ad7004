#include "auth/client_certificate.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace vncgate::auth {
namespace {

constexpr std::size_t max_subject = 256;
constexpr const char* upn_oid = "1.3.6.1.4.1.311.20.2.3";

struct general_names_free {
  void operator()(GENERAL_NAMES* n) const noexcept { GENERAL_NAMES_free(n); }
};
struct bio_free {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct bn_free {
  void operator()(BIGNUM* b) const noexcept { BN_free(b); }
};
struct asn1_object_free {
  void operator()(ASN1_OBJECT* o) const noexcept { ASN1_OBJECT_free(o); }
};

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string bytes_of(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// The values the field holds, as raw bytes (UTF-8 for the CN); nullopt when a CN cannot
// be converted to UTF-8.
std::optional<std::vector<std::string>> values_of(X509* certificate, certificate_identity identity) {
  std::vector<std::string> out;
  if (identity == certificate_identity::cn) {
    const X509_NAME* name = X509_get_subject_name(certificate);
    for (int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) {
      const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
      unsigned char* utf8 = nullptr;
      const int n = ASN1_STRING_to_UTF8(&utf8, data);
      if (n < 0) return std::nullopt;
      out.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
      OPENSSL_free(utf8);
    }
    return out;
  }

  std::unique_ptr<GENERAL_NAMES, general_names_free> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  std::unique_ptr<ASN1_OBJECT, asn1_object_free> upn(OBJ_txt2obj(upn_oid, 1));
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
    int type = 0;
    void* value = GENERAL_NAME_get0_value(g, &type);
    if (identity == certificate_identity::san_email && type == GEN_EMAIL) {
      out.push_back(bytes_of(static_cast<ASN1_IA5STRING*>(value)));
    } else if (identity == certificate_identity::san_dns && type == GEN_DNS) {
      out.push_back(bytes_of(static_cast<ASN1_IA5STRING*>(value)));
    } else if (identity == certificate_identity::san_upn && type == GEN_OTHERNAME && upn) {
      ASN1_OBJECT* oid = nullptr;
      ASN1_TYPE* other = nullptr;
      if (GENERAL_NAME_get0_otherName(g, &oid, &other) != 1 || OBJ_cmp(oid, upn.get()) != 0) continue;
      // The UPN is a UTF8String; any other encoding is not a UPN we can trust.
      if (other == nullptr || other->type != V_ASN1_UTF8STRING) return std::nullopt;
      out.push_back(bytes_of(other->value.utf8string));
    }
  }
  return out;
}

}  // namespace

std::string_view to_string(certificate_identity identity) noexcept {
  switch (identity) {
    case certificate_identity::cn: return "cn";
    case certificate_identity::san_email: return "san_email";
    case certificate_identity::san_dns: return "san_dns";
    case certificate_identity::san_upn: return "san_upn";
  }
  return "cn";
}

std::optional<certificate_identity> parse_certificate_identity(std::string_view text) noexcept {
  for (auto i : {certificate_identity::cn, certificate_identity::san_email, certificate_identity::san_dns,
                 certificate_identity::san_upn})
    if (to_string(i) == text) return i;
  return std::nullopt;
}

std::string_view field_name(certificate_identity identity) noexcept {
  switch (identity) {
    case certificate_identity::cn: return "subject CN";
    case certificate_identity::san_email: return "SAN email";
    case certificate_identity::san_dns: return "SAN DNS name";
    case certificate_identity::san_upn: return "SAN UPN";
  }
  return "subject CN";
}

expected<std::string, std::string> certificate_user(X509* certificate, certificate_identity identity) {
  const std::string field(field_name(identity));
  if (certificate == nullptr) return unexpected(std::string("no certificate"));
  auto values = values_of(certificate, identity);
  if (!values) return unexpected("the " + field + " is not a readable string");
  if (values->empty()) return unexpected("the certificate has no " + field);
  std::sort(values->begin(), values->end());
  values->erase(std::unique(values->begin(), values->end()), values->end());
  if (values->size() > 1)
    return unexpected("the certificate has " + std::to_string(values->size()) + " different " + field +
                      " values (ambiguous)");
  std::string& user = values->front();
  if (user.empty()) return unexpected("the " + field + " is empty");
  if (std::any_of(user.begin(), user.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); }))
    return unexpected("the " + field + " contains a NUL or control character");
  return std::move(user);
}

std::string certificate_subject(X509* certificate) {
  if (certificate == nullptr) return "-";
  std::unique_ptr<BIO, bio_free> bio(BIO_new(BIO_s_mem()));
  if (!bio) return "-";
  // RFC 2253 escaping, but UTF-8 kept as is (ESC_MSB would turn it into \XX).
  const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0, flags) < 0) return "-";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, n > 0 ? static_cast<std::size_t>(n) : 0);
  for (char& c : out)
    if (is_control(static_cast<unsigned char>(c))) c = '?';
  if (out.size() > max_subject) {
    out.resize(max_subject - 3);
    // Do not end inside a UTF-8 sequence.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
    out += "...";
  }
  return out.empty() ? "-" : out;
}

std::string certificate_serial(X509* certificate) {
  if (certificate == nullptr) return "-";
  std::unique_ptr<BIGNUM, bn_free> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  if (!bn) return "-";
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return "-";
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

}  // namespace vncgate::auth
