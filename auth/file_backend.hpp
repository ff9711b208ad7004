// file_backend.hpp — authentication against a table of crypt(3) hashes (the users file).
//
// The table is parsed by the gateway's config loader (YAML) and handed over as values.
// Hashes are yescrypt ($y$) or SHA-512 crypt ($6$); others are refused at load time by
// the loader (see is_supported_hash). Verification uses crypt_rn with a per-call
// crypt_data and compares with CRYPTO_memcmp. An unknown user is verified against a
// dummy hash of the same kind so that the time spent does not tell.
// Blocking (the hash is deliberately slow); thread-safe.
#pragma once

#include <string>
#include <vector>

#include "auth/backend.hpp"

namespace vncgate::auth {

struct user_record {
  std::string name;
  std::string password_hash;
  std::vector<std::string> groups;
};

class file_backend final : public backend {
 public:
  explicit file_backend(std::vector<user_record> users);
  std::string_view name() const noexcept override { return "file"; }

 private:
  verdict check(std::string_view user, std::string_view password, std::string_view remote_host) const override;
  std::vector<user_record> users_;
  std::string dummy_hash_;  // same method and cost as the first user's hash
};

}  // namespace vncgate::auth
