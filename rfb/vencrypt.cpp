// vencrypt.cpp — VeNCrypt 0.2 negotiation messages and the Plain credentials.
#include "rfb/vencrypt.hpp"

#include <cassert>

#include <openssl/crypto.h>

namespace vncgate::rfb {
namespace {

// Wipes the whole buffer, not only size(): bytes beyond size() (a shorter value
// assigned later, or what a move left in the small-string buffer) may hold the
// secret too. resize() within capacity never reallocates.
void wipe(std::string& s) noexcept {
  s.resize(s.capacity());
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

bytes encode_vencrypt_version() { return bytes{0, 2}; }

result<vencrypt_version> decode_vencrypt_version(byte_view in) {
  if (in.size() < 2) return unexpected{errc::need_more};
  // Not judged here: a client asking for another version must still get the 0xFF ack.
  return decoded<vencrypt_version>{vencrypt_version{in[0], in[1]}, 2};
}

bytes encode_vencrypt_version_ack(bool ok) { return bytes{ok ? std::uint8_t{0} : std::uint8_t{0xFF}}; }

bytes encode_vencrypt_subtypes(std::span<const std::uint32_t> subtypes) {
  assert(!subtypes.empty() && subtypes.size() <= 255);
  bytes out;
  put_u8(out, static_cast<std::uint8_t>(subtypes.size()));
  for (const std::uint32_t s : subtypes) put_u32(out, s);
  return out;
}

result<std::uint32_t> decode_vencrypt_subtype_choice(byte_view in) {
  if (in.size() < 4) return unexpected{errc::need_more};
  return decoded<std::uint32_t>{get_u32(in), 4};
}

bytes encode_vencrypt_subtype_ack(bool accepted) { return bytes{accepted ? std::uint8_t{1} : std::uint8_t{0}}; }

plain_credentials& plain_credentials::operator=(plain_credentials&& other) noexcept {
  if (this != &other) {
    wipe(password);
    username = std::move(other.username);
    password = std::move(other.password);
    wipe(other.password);
  }
  return *this;
}

plain_credentials::~plain_credentials() { wipe(password); }

result<plain_credentials> decode_plain_credentials(byte_view in) {
  // Each length is checked the moment it is readable: a hostile 4 GiB length must end
  // the session now, not keep it waiting for bytes that never come.
  if (in.size() < 4) return unexpected{errc::need_more};
  const std::uint32_t user_length = get_u32(in);
  if (user_length > max_plain_username) return unexpected{errc::too_long};
  if (in.size() < 8) return unexpected{errc::need_more};
  const std::uint32_t password_length = get_u32(in.subspan(4));
  if (password_length > max_plain_password) return unexpected{errc::too_long};

  const std::size_t total = 8 + std::size_t{user_length} + password_length;
  if (in.size() < total) return unexpected{errc::need_more};
  const auto user = in.subspan(8, user_length);
  for (const std::uint8_t c : user) {
    if (c == 0) return unexpected{errc::bad_value};  // would be cut short by C APIs (PAM)
  }
  const auto pass = in.subspan(8 + user_length, password_length);

  plain_credentials creds;
  creds.username.assign(user.begin(), user.end());
  creds.password.assign(pass.begin(), pass.end());
  return decoded<plain_credentials>{std::move(creds), total};
}

bytes encode_plain_credentials(std::string_view username, std::string_view password) {
  bytes out;
  out.reserve(8 + username.size() + password.size());  // no reallocation leaves copies behind
  put_u32(out, static_cast<std::uint32_t>(username.size()));
  put_u32(out, static_cast<std::uint32_t>(password.size()));
  out.insert(out.end(), username.begin(), username.end());
  out.insert(out.end(), password.begin(), password.end());
  return out;
}

}  // namespace vncgate::rfb
