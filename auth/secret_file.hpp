// secret_file.hpp — reading secrets (upstream VNC passwords, keys, user hashes) from files.
//
// A secret file must be a regular file and must not be readable (or writable) by group
// or others: otherwise it is refused, and the error names the path and the mode so the
// administrator knows what to chmod. Blocking file I/O: call at start-up or reload.
#pragma once

#include <filesystem>
#include <string>

#include "rfb/expected.hpp"

namespace vncgate::auth {

// The whole file, after the permission check. Error: a sentence naming the path.
expected<std::string, std::string> read_secret_file(const std::filesystem::path& path);

// Only the permission check (for files another library opens, e.g. the TLS key).
expected<bool, std::string> check_secret_file_mode(const std::filesystem::path& path);

// An upstream VNC password file: either the binary 8- or 16-byte file written by
// `vncpasswd -f` (detected when the content is not text), or text whose first line is
// the password (a trailing "\n" or "\r\n" is removed). Error if empty.
expected<std::string, std::string> read_vnc_password_file(const std::filesystem::path& path);

}  // namespace vncgate::auth
