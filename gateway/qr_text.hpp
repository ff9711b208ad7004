// qr_text.hpp — a QR code drawn with Unicode block characters, for a terminal.
//
// `vncgate totp enroll` prints the otpauth:// URI this way so a person can scan it
// with a phone. libqrencode makes the symbol (error correction M, byte mode); two rows
// of modules share one line of text (▀ ▄ █). Light modules are drawn as blocks, dark
// ones as spaces, which reads right on the usual light-on-dark terminal; `inverted`
// swaps them for dark-on-light terminals. A quiet zone of 4 modules surrounds it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vncgate::gateway {

// The modules, row by row, true = dark, quiet zone included. nullopt if the text does
// not fit in a QR code (about 2,300 bytes at level M) or libqrencode fails.
std::optional<std::vector<std::vector<bool>>> qr_modules(std::string_view text);

// The modules as lines of text, each ending in "\n".
std::string qr_blocks(const std::vector<std::vector<bool>>& modules, bool inverted = false);

}  // namespace vncgate::gateway
