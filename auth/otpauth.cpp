#include "auth/otpauth.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cctype>

#include "auth/base32.hpp"

namespace vncgate::auth {

std::optional<totp_secret> generate_totp_secret(otp_hash hash, unsigned digits) {
  totp_secret secret;
  secret.hash = hash;
  secret.digits = digits;
  secret.key.resize(hash == otp_hash::sha1 ? 20 : hash == otp_hash::sha256 ? 32 : 64);
  if (RAND_bytes(secret.key.data(), static_cast<int>(secret.key.size())) != 1) return std::nullopt;
  return secret;
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[byte >> 4]);
      out.push_back(hex[byte & 0x0f]);
    }
  }
  return out;
}

std::string otpauth_uri(std::string_view issuer, std::string_view user, const totp_secret& secret) {
  std::string algorithm(to_string(secret.hash));
  for (char& c : algorithm) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string secret_text = base32_encode(secret.key);
  std::string uri = "otpauth://totp/" + percent_encode(issuer) + ":" + percent_encode(user) +
                    "?secret=" + secret_text + "&issuer=" + percent_encode(issuer) + "&algorithm=" + algorithm +
                    "&digits=" + std::to_string(secret.digits) + "&period=" + std::to_string(secret.step);
  OPENSSL_cleanse(secret_text.data(), secret_text.size());
  return uri;
}

}  // namespace vncgate::auth
