// otpauth.hpp — enrolling a person for TOTP: a fresh secret and the otpauth:// URI
// authenticator apps read (from a QR code or typed in).
//
// URI format: the de-facto "Key Uri Format" of Google Authenticator, which every
// authenticator app reads: otpauth://totp/ISSUER:USER?secret=BASE32&issuer=ISSUER&
// algorithm=SHA1&digits=6&period=30, label and issuer percent-encoded (RFC 3986).
#pragma once

#include <string>
#include <string_view>

#include "auth/totp_factor.hpp"

namespace vncgate::auth {

// A random key from the OS CSPRNG, as long as the hash's output (RFC 4226 §4 asks for at
// least 128 bits; 160 is recommended): 20 bytes for SHA-1, 32 for SHA-256, 64 for SHA-512.
// nullopt if the random generator fails.
std::optional<totp_secret> generate_totp_secret(otp_hash hash, unsigned digits);

std::string otpauth_uri(std::string_view issuer, std::string_view user, const totp_secret& secret);

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string percent_encode(std::string_view text);

}  // namespace vncgate::auth
