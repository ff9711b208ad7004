// totp_command.hpp — `vncgate totp enroll|verify`: the administrator's side of TOTP.
//
//   vncgate totp enroll USER [--config FILE] [--algorithm sha1|sha256|sha512] [--digits 6|8]
//                            [--replace] [--invert]          (FILE: /etc/vncgate/vncgate.yaml)
//     makes a fresh secret, writes it to the config's auth.totp_secrets_file (created
//     mode 0600 when missing; replaced atomically, owner and mode kept), and prints the
//     otpauth:// URI and a QR code to scan. A running gateway uses it after a reload.
//   vncgate totp verify USER CODE [--config FILE]
//     checks CODE against USER's secret with the configured window, without spending it.
// Only the secrets file and the auth section's TOTP keys are read, so enrolling works
// before the file exists. Exit: 0 done / code accepted, 1 refused or failed, 2 usage.
#pragma once

#include <span>
#include <string_view>

namespace vncgate::gateway {

int totp_command(std::span<const std::string_view> args);

}  // namespace vncgate::gateway
