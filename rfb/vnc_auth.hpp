// vnc_auth.hpp — VNC Authentication (security type 2, RFC 6143 §7.2.2) and the
// password file format written by `vncpasswd -f`.
//
// DES comes from OpenSSL 3's legacy provider, loaded once into a private OSSL_LIB_CTX
// (never the process-wide default). Thread-safe after the first call. Secrets passed in
// are not kept; buffers holding key material are wiped.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "rfb/codec.hpp"

namespace vncgate::rfb {

inline constexpr std::size_t vnc_auth_challenge_size = 16;
using vnc_auth_block = std::array<std::uint8_t, vnc_auth_challenge_size>;

// Reads the 16-byte challenge.
result<vnc_auth_block> decode_vnc_auth_challenge(byte_view in);

// DES-encrypts the challenge with the password as key: only the first 8 characters
// count, shorter ones are padded with NUL, each key byte's bits are mirrored (the RFB
// quirk). Returns nullopt only if the DES cipher cannot be loaded (an installation
// problem: OpenSSL's legacy provider missing).
std::optional<vnc_auth_block> vnc_auth_response(const vnc_auth_block& challenge, std::string_view password);

// True when DES from the legacy provider is usable; the gateway checks it at start-up.
bool vnc_auth_available();

// Decodes the 8-byte (or 16-byte: full + view-only) file `vncpasswd -f` writes: DES with
// the fixed, well-known VNC key. Returns the full-access password (up to 8 characters,
// trailing NULs removed), or nullopt if the size is wrong or DES is unavailable.
std::optional<std::string> decode_vncpasswd_file(byte_view file);
// The reverse, for tests and tooling: the 8-byte obfuscated form of a password.
std::optional<bytes> encode_vncpasswd_file(std::string_view password);

}  // namespace vncgate::rfb
