// password_hash.cpp — yescrypt / SHA-512 crypt through libxcrypt's reentrant calls.
#include "auth/password_hash.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <memory>

namespace vncgate::auth {
namespace {

// The alphabet crypt(3) encodes hashes and salts with.
bool is_crypt64(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/';
}

bool all_crypt64(std::string_view s) noexcept { return std::all_of(s.begin(), s.end(), is_crypt64); }

// How many '$'-separated fields the text after the method prefix has.
std::size_t count_fields(std::string_view s) noexcept {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '$')) + 1;
}

// "$y$<params>$<salt>$<43-char hash>"
bool is_yescrypt_shape(std::string_view rest) noexcept {
  if (count_fields(rest) != 3) return false;
  const auto a = rest.find('$');
  const auto b = rest.find('$', a + 1);
  const auto params = rest.substr(0, a);
  const auto salt = rest.substr(a + 1, b - a - 1);
  const auto digest = rest.substr(b + 1);
  return !params.empty() && all_crypt64(params) && !salt.empty() && all_crypt64(salt) &&
         digest.size() == 43 && all_crypt64(digest);
}

// "$6$[rounds=N$]<salt up to 16>$<86-char hash>". The salt may hold any byte but '$',
// ':' and line breaks (openssl passwd -6 -salt accepts arbitrary text).
bool is_sha512_shape(std::string_view rest) noexcept {
  constexpr std::string_view rounds_prefix = "rounds=";
  if (rest.starts_with(rounds_prefix)) {
    const auto end = rest.find('$');
    if (end == std::string_view::npos) return false;
    const auto digits = rest.substr(rounds_prefix.size(), end - rounds_prefix.size());
    if (digits.empty() || digits.size() > 10) return false;
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    rest.remove_prefix(end + 1);
  }
  if (count_fields(rest) != 2) return false;
  const auto sep = rest.find('$');
  const auto salt = rest.substr(0, sep);
  const auto digest = rest.substr(sep + 1);
  const bool salt_ok = salt.size() <= 16 && std::none_of(salt.begin(), salt.end(), [](char c) {
    return c == ':' || c == '\n' || c == '\r' || c == '\0';
  });
  return salt_ok && digest.size() == 86 && all_crypt64(digest);
}

// One crypt_rn call on a heap crypt_data (about 32 KiB: too big for small thread
// stacks), wiped afterwards because it holds intermediate state derived from the
// password. Returns the hash, or nullopt on any libcrypt failure.
std::optional<std::string> run_crypt(std::string_view password, const char* setting) {
  if (password.find('\0') != std::string_view::npos) return std::nullopt;  // crypt would truncate
  std::string phrase(password);
  auto data = std::make_unique<crypt_data>();  // value-initialised: zeroed as libcrypt asks
  const char* out = crypt_rn(phrase.c_str(), setting, data.get(), sizeof(crypt_data));
  std::optional<std::string> result;
  if (out != nullptr && out[0] != '*') result.emplace(out);  // "*0"/"*1" are failure tokens
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return result;
}

}  // namespace

bool is_supported_hash(std::string_view hash) noexcept {
  if (hash.starts_with("$y$")) return is_yescrypt_shape(hash.substr(3));
  if (hash.starts_with("$6$")) return is_sha512_shape(hash.substr(3));
  return false;
}

std::optional<std::string> hash_password(std::string_view password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // count 0: libcrypt's default cost; NULL random source: libcrypt reads the kernel's.
  if (crypt_gensalt_rn("$y$", 0, nullptr, 0, setting, sizeof setting) == nullptr) return std::nullopt;
  auto hash = run_crypt(password, setting);
  if (hash && !is_supported_hash(*hash)) return std::nullopt;
  return hash;
}

bool verify_password(std::string_view password, const std::string& hash) {
  if (!is_supported_hash(hash)) return false;
  auto computed = run_crypt(password, hash.c_str());
  if (!computed) return false;
  const bool same = computed->size() == hash.size() &&
                    CRYPTO_memcmp(computed->data(), hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(computed->data(), computed->size());
  return same;
}

}  // namespace vncgate::auth
