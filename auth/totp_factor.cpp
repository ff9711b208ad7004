#include "auth/totp_factor.hpp"

#include <openssl/crypto.h>

namespace vncgate::auth {

totp_secret::~totp_secret() { OPENSSL_cleanse(key.data(), key.size()); }

std::optional<std::uint64_t> match_totp(const totp_secret& secret, std::string_view code, std::int64_t unix_now,
                                        unsigned window) {
  const std::uint64_t now = totp_counter(unix_now, secret.step);
  std::optional<std::uint64_t> matched;
  const bool right_length = code.size() == secret.digits;
  for (std::uint64_t offset = 0; offset <= 2ull * window; ++offset) {
    if (now + window < offset) continue;  // before the epoch
    const std::uint64_t step = now + window - offset;
    auto candidate = hotp(secret.key, step, secret.digits, secret.hash);
    if (!candidate) continue;
    std::string text = format_otp(*candidate, secret.digits);
    // Compare even when the length is wrong, against the candidate itself, so the work
    // done does not depend on the typed code.
    std::string_view typed = right_length ? code : std::string_view(text);
    bool equal = CRYPTO_memcmp(typed.data(), text.data(), text.size()) == 0;
    if (equal && right_length && !matched) matched = step;
    OPENSSL_cleanse(text.data(), text.size());
  }
  return matched;
}

bool totp_replay_guard::claim(std::string_view user, std::uint64_t step) {
  std::lock_guard lock(mutex_);
  auto it = last_step_.find(user);
  if (it == last_step_.end()) {
    last_step_.emplace(std::string(user), step);
    return true;
  }
  if (step <= it->second) return false;
  it->second = step;
  return true;
}

std::size_t totp_replay_guard::size() const {
  std::lock_guard lock(mutex_);
  return last_step_.size();
}

std::string_view to_string(otp_hash h) noexcept {
  switch (h) {
    case otp_hash::sha1: return "sha1";
    case otp_hash::sha256: return "sha256";
    case otp_hash::sha512: return "sha512";
  }
  return "sha1";
}

std::optional<otp_hash> otp_hash_from(std::string_view name) noexcept {
  if (name == "sha1") return otp_hash::sha1;
  if (name == "sha256") return otp_hash::sha256;
  if (name == "sha512") return otp_hash::sha512;
  return std::nullopt;
}

}  // namespace vncgate::auth
