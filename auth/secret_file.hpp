// secret_file.hpp — reading secrets (upstream VNC passwords, keys, user hashes) from files.
//
// A secret file named by a path that is not a symbolic link must be a regular file that
// neither group nor others may read or write. A path that is a symbolic link (a
// Kubernetes Secret volume: key -> ..data/key, ..data -> ..<timestamp>/) is followed to
// its end, which must be a regular file inside the path's own directory (its realpath,
// subdirectories included), owned by root or by the effective uid, with no bits for
// others and no group write or execute; group read only when the file's group is the
// effective gid (what a pod's fsGroup gives). Anything else is refused with a sentence
// naming the path, the link's final target and what is wrong. The checks are made on the
// opened descriptor (fstat), so the file read is the file checked. At most 64 KiB.
// Blocking file I/O: call at start-up or reload.
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
