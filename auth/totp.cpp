#include "auth/totp.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace vncgate::auth {
namespace {

const char* digest_name(otp_hash h) {
  switch (h) {
    case otp_hash::sha1: return "SHA1";
    case otp_hash::sha256: return "SHA256";
    case otp_hash::sha512: return "SHA512";
  }
  return "SHA1";
}

}  // namespace

std::optional<std::uint32_t> hotp(std::span<const std::uint8_t> key, std::uint64_t counter, unsigned digits,
                                  otp_hash hash) {
  if (digits < 6 || digits > 8) return std::nullopt;
  std::array<std::uint8_t, 8> message{};
  for (int i = 7; i >= 0; --i) {
    message[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter & 0xff);
    counter >>= 8;
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  std::size_t mac_size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest_name(hash), nullptr, key.data(), key.size(), message.data(),
                message.size(), mac.data(), mac.size(), &mac_size) == nullptr ||
      mac_size < 20) {
    return std::nullopt;
  }
  // Dynamic truncation: the low nibble of the last byte picks four bytes, top bit off.
  const std::size_t offset = mac[mac_size - 1] & 0x0f;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t modulus = 1;
  for (unsigned i = 0; i < digits; ++i) modulus *= 10;
  return binary % modulus;
}

std::uint64_t totp_counter(std::int64_t unix_seconds, std::uint32_t step, std::int64_t t0) {
  if (step == 0 || unix_seconds < t0) return 0;
  return static_cast<std::uint64_t>(unix_seconds - t0) / step;
}

std::string format_otp(std::uint32_t code, unsigned digits) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "%0*u", static_cast<int>(digits), code);
  return text.data();
}

}  // namespace vncgate::auth
