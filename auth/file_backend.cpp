// file_backend.cpp — the users-file backend: crypt(3) hashes held in memory.
#include "auth/file_backend.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <optional>

#include "auth/password_hash.hpp"

namespace vncgate::auth {
namespace {

// The same words for an unknown user and a wrong password, even in the audit log:
// logs travel further than the gateway (SIEM, support tickets).
constexpr std::string_view refusal_detail = "file: unknown user or wrong password";

// A password nobody knows. Its secrecy does not matter much (an unknown user is never
// accepted, whatever the dummy verification says), but a fixed one would be a smell.
std::string random_password() {
  std::array<unsigned char, 24> raw{};
  std::string out;
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) == 1) {
    constexpr char hex[] = "0123456789abcdef";
    for (unsigned char b : raw) {
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 0x0f]);
    }
  } else {
    out = "vncgate-dummy-password";
  }
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

// The model hash's method and cost with a fresh salt: "$y$<params>$<salt>" or
// "$6$[rounds=N$]<salt>". The model is known to have the supported shape.
std::optional<std::string> setting_like(const std::string& model) {
  const auto digest_sep = model.rfind('$');
  const auto salt_sep = model.rfind('$', digest_sep - 1);
  char fresh[CRYPT_GENSALT_OUTPUT_SIZE];
  const std::string prefix = model.substr(0, 3);  // "$y$" or "$6$"
  if (crypt_gensalt_rn(prefix.c_str(), 0, nullptr, 0, fresh, sizeof fresh) == nullptr) return std::nullopt;
  const std::string_view fresh_view(fresh);
  const auto fresh_salt = fresh_view.substr(fresh_view.rfind('$') + 1);
  return model.substr(0, salt_sep + 1) + std::string(fresh_salt);
}

// crypt_rn with an explicit setting; the per-call crypt_data is wiped afterwards.
std::optional<std::string> crypt_with_setting(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  std::optional<std::string> result;
  if (out != nullptr && out[0] != '*') result.emplace(out);
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return result;
}

// A hash that costs what the first user's costs to verify, so that an unknown user
// takes as long as a known one. Falls back to a default yescrypt hash when the table
// is empty; an empty string (verification fails fast) only if libcrypt is broken.
std::string make_dummy_hash(const std::vector<user_record>& users) {
  std::string password = random_password();
  std::optional<std::string> hash;
  if (!users.empty() && is_supported_hash(users.front().password_hash)) {
    if (auto setting = setting_like(users.front().password_hash)) hash = crypt_with_setting(password, *setting);
  }
  if (!hash || !is_supported_hash(*hash)) hash = hash_password(password);
  OPENSSL_cleanse(password.data(), password.size());
  return hash.value_or(std::string());
}

}  // namespace

file_backend::file_backend(std::vector<user_record> users)
    : users_(std::move(users)), dummy_hash_(make_dummy_hash(users_)) {}

verdict file_backend::check(std::string_view user, std::string_view password, std::string_view) const {
  // Look at every record, so the scan time does not depend on where the name sits.
  const user_record* found = nullptr;
  for (const auto& record : users_) {
    const bool same = record.name == user;
    if (same && found == nullptr) found = &record;
  }
  // An unknown user still pays for one full hash, against the dummy.
  const bool password_ok = verify_password(password, found != nullptr ? found->password_hash : dummy_hash_);

  verdict v;
  if (found != nullptr && password_ok) {
    v.result = outcome::accepted;
    v.who = identity{found->name, found->groups};
    v.detail = "file: accepted";
  } else {
    v.result = outcome::rejected;
    v.detail = std::string(refusal_detail);
  }
  return v;
}

}  // namespace vncgate::auth
