// totp.hpp — one-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238).
//
// Pure functions over a secret key and a counter or a time; no clock of their own, no
// I/O, thread-safe. HMAC from OpenSSL (EVP_Q_mac). The gateway's TOTP factor (issue 4)
// builds on these: it reads the time, picks the steps of its window, compares the typed
// code with every candidate in constant time and remembers used steps.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace vncgate::auth {

enum class otp_hash { sha1, sha256, sha512 };

// RFC 4226 §5.3: HMAC(key, counter as 8 big-endian bytes), dynamic truncation, modulo
// 10^digits. nullopt when digits is outside 6..8 or the HMAC fails.
std::optional<std::uint32_t> hotp(std::span<const std::uint8_t> key, std::uint64_t counter, unsigned digits,
                                  otp_hash hash = otp_hash::sha1);

// RFC 6238 §4.2: the counter is floor((unix_seconds - t0) / step); 0 before t0.
std::uint64_t totp_counter(std::int64_t unix_seconds, std::uint32_t step = 30, std::int64_t t0 = 0);

// The code as a person types it: `digits` decimal digits, leading zeros kept.
std::string format_otp(std::uint32_t code, unsigned digits);

}  // namespace vncgate::auth
