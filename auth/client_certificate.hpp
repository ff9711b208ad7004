// client_certificate.hpp — who a client certificate names, for the mTLS factor.
//
// Pure functions over a certificate the TLS layer has already verified: which user it
// names (the subject CN or one kind of subjectAltName, as configured) and a short,
// printable description of it for the audit trail. No I/O, no allocation that outlives
// the call, thread-safe. The caller keeps ownership of the X509.
#pragma once

#include <openssl/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "rfb/expected.hpp"

namespace vncgate::auth {

// Which field of the certificate names the user.
enum class certificate_identity {
  cn,         // the subject's commonName
  san_email,  // subjectAltName rfc822Name
  san_dns,    // subjectAltName dNSName
  san_upn,    // subjectAltName otherName Microsoft UPN (1.3.6.1.4.1.311.20.2.3), as smart cards carry
};

// "cn", "san_email", "san_dns", "san_upn": the configuration's spelling.
std::string_view to_string(certificate_identity identity) noexcept;
std::optional<certificate_identity> parse_certificate_identity(std::string_view text) noexcept;
// "subject CN", "SAN email", "SAN DNS name", "SAN UPN": for messages.
std::string_view field_name(certificate_identity identity) noexcept;

// The user name `identity` selects. Refused (error: a sentence naming the field) when the
// field is missing or empty, when it holds several different values (ambiguous), or
// when a value contains a NUL or another control character.
expected<std::string, std::string> certificate_user(X509* certificate, certificate_identity identity);

// The subject as one line ("CN=alice,O=Example"), control characters replaced by '?',
// at most 256 bytes (longer ones end in "..."). Never empty for a certificate ("-").
std::string certificate_subject(X509* certificate);
// The serial number in upper-case hex ("1A2B"); "-" if it cannot be read.
std::string certificate_serial(X509* certificate);

}  // namespace vncgate::auth
