// totp_factor.hpp — checking a typed TOTP code: the window, constant time, replay.
//
// A person's secret (totp_secret) comes from the secrets file; the gateway splits the
// code off the typed password (auth/password_code.hpp), then:
//   1. match_totp() finds the time step the code belongs to, among now ± window steps,
//      comparing with every candidate in constant time (no early exit, no timing hint
//      about which digits were right);
//   2. only when every other factor passed too, totp_replay_guard::claim() accepts the
//      step if it is later than the last step that user logged in with (RFC 6238 §5.2:
//      a code is accepted once; an older code of the window is refused after a newer one).
// A code that matched but whose login failed on the password is not claimed, so a
// stranger cannot burn someone's current code. The guard lives as long as the process
// (across reloads), is thread-safe, and holds one entry per user that logged in with a
// code: bounded by the secrets file.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/totp.hpp"

namespace vncgate::auth {

struct totp_secret {
  std::vector<std::uint8_t> key;
  otp_hash hash = otp_hash::sha1;
  unsigned digits = 6;   // 6..8
  std::uint32_t step = 30;

  totp_secret() = default;
  totp_secret(const totp_secret&) = default;
  totp_secret& operator=(const totp_secret&) = default;
  totp_secret(totp_secret&&) noexcept = default;
  totp_secret& operator=(totp_secret&&) noexcept = default;
  ~totp_secret();  // wipes the key
};

// The step `code` belongs to: counter(now) - window ... counter(now) + window. nullopt
// when it matches none (wrong length or non-digits included). Every candidate is
// computed and compared, whichever matches.
std::optional<std::uint64_t> match_totp(const totp_secret& secret, std::string_view code, std::int64_t unix_now,
                                        unsigned window);

class totp_replay_guard {
 public:
  // True, and remembered, when `step` is later than the last step `user` claimed.
  bool claim(std::string_view user, std::uint64_t step);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t, std::less<>> last_step_;
};

std::string_view to_string(otp_hash h) noexcept;           // "sha1", "sha256", "sha512"
std::optional<otp_hash> otp_hash_from(std::string_view name) noexcept;

}  // namespace vncgate::auth
