// password_code.cpp — splitting "password + code" typed into one field.
#include "auth/password_code.hpp"

namespace vncgate::auth {

std::optional<password_code> split_password_code(std::string_view typed, unsigned digits) noexcept {
  if (digits < 6 || digits > 8 || typed.size() <= digits) return std::nullopt;
  const std::size_t split = typed.size() - digits;
  // Every byte of the tail is looked at, whatever the first one is, so the time taken
  // does not tell where in the secret the first non-digit sits.
  bool all_digits = true;
  for (std::size_t i = split; i < typed.size(); ++i) {
    const char c = typed[i];
    all_digits &= c >= '0' && c <= '9';
  }
  if (!all_digits) return std::nullopt;
  return password_code{typed.substr(0, split), typed.substr(split)};
}

}  // namespace vncgate::auth
