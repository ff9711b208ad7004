// vencrypt.hpp — VeNCrypt (security type 19), version 0.2, server role, and the Plain
// credentials message it carries.
//
// Order on the wire (server S, client C):
//   S: version 0.2 (u8 0, u8 2)       C: version (u8 major, u8 minor)
//   S: ack u8 (0 = ok, 0xFF = unsupported, then close)
//   S: u8 count + u32 subtypes        C: u32 chosen subtype
//   [TLS* / X509* subtypes only: S: u8 1 = start TLS, then the TLS handshake;
//    Plain (256) has no such byte: the credentials follow at once.
//    An invalid choice is answered by closing.]
//   C: Plain: u32 user length, u32 password length, user, password
//   S: SecurityResult
// Pure functions; no TLS here (the gateway switches the stream).
#pragma once

#include <string>

#include "rfb/codec.hpp"

namespace vncgate::rfb {

namespace vencrypt_subtype {
inline constexpr std::uint32_t plain = 256;       // user+password, no TLS: only inside an already private channel
inline constexpr std::uint32_t tls_none = 257;
inline constexpr std::uint32_t tls_vnc = 258;
inline constexpr std::uint32_t tls_plain = 259;   // anonymous TLS, then Plain
inline constexpr std::uint32_t x509_none = 260;
inline constexpr std::uint32_t x509_vnc = 261;
inline constexpr std::uint32_t x509_plain = 262;  // certificate-authenticated TLS, then Plain
}  // namespace vencrypt_subtype

struct vencrypt_version {
  std::uint8_t major = 0;
  std::uint8_t minor = 0;
};

bytes encode_vencrypt_version();                          // {0, 2}
// 2 bytes, any version: the caller answers 0.2 with ack(true) and anything else with
// ack(false), as the protocol asks, before it closes.
result<vencrypt_version> decode_vencrypt_version(byte_view in);
bytes encode_vencrypt_version_ack(bool ok);               // 0 ok, 0xFF unsupported
bytes encode_vencrypt_subtypes(std::span<const std::uint32_t> subtypes);  // 1..255
result<std::uint32_t> decode_vencrypt_subtype_choice(byte_view in);       // u32
bytes encode_vencrypt_subtype_ack(bool accepted);         // 1 = start TLS (TLS subtypes only)

inline constexpr std::size_t max_plain_username = 256;
inline constexpr std::size_t max_plain_password = 1024;

// The password is wiped (OPENSSL_cleanse) when this object dies.
struct plain_credentials {
  std::string username;
  std::string password;
  plain_credentials() = default;
  plain_credentials(plain_credentials&&) noexcept = default;
  plain_credentials& operator=(plain_credentials&&) noexcept;
  plain_credentials(const plain_credentials&) = delete;
  plain_credentials& operator=(const plain_credentials&) = delete;
  ~plain_credentials();
};
// Lengths above max_plain_username / max_plain_password are errc::too_long; a user
// name containing a NUL byte is errc::bad_value.
result<plain_credentials> decode_plain_credentials(byte_view in);
bytes encode_plain_credentials(std::string_view username, std::string_view password);  // for tests and clients

}  // namespace vncgate::rfb
