// base32.hpp — RFC 4648 base32, the alphabet TOTP secrets are written in.
//
// Authenticator apps and `oathtool --base32` exchange secrets as base32 text
// ("JBSWY3DPEHPK3PXP"). decode() accepts what people paste: upper or lower case,
// spaces and '=' padding ignored; anything else, or trailing bits that are not zero,
// is an error. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vncgate::auth {

// Upper case, no padding (what otpauth:// URIs carry).
std::string base32_encode(std::span<const std::uint8_t> bytes);

// nullopt on a character outside the alphabet or a length that cannot come from encode().
std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text);

}  // namespace vncgate::auth
