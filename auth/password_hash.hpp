// password_hash.hpp — crypt(3) hashes for the users file.
//
// Pure apart from reading random bytes for the salt (crypt_gensalt_rn with a NULL
// random source uses the kernel's). Blocking (hashing is slow on purpose); thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vncgate::auth {

// "$y$" (yescrypt, libcrypt default cost) or "$6$" (SHA-512 crypt).
bool is_supported_hash(std::string_view hash) noexcept;

// A new yescrypt hash of the password; nullopt if libcrypt fails.
std::optional<std::string> hash_password(std::string_view password);

// crypt_rn(password, hash) compared to hash in constant time. False for unsupported
// or malformed hashes.
bool verify_password(std::string_view password, const std::string& hash);

}  // namespace vncgate::auth
