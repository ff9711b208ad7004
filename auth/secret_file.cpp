// secret_file.cpp — open, check and read secret files; symlinks only within their directory.
#include "auth/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include "rfb/vnc_auth.hpp"

namespace vncgate::auth {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_secret_size = 64 * 1024;

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Owns a descriptor; closes it when the scope ends.
class file_descriptor {
 public:
  explicit file_descriptor(int fd = -1) noexcept : fd_(fd) {}
  file_descriptor(file_descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  file_descriptor& operator=(file_descriptor&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

constexpr int open_flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

std::string size_refusal(const std::string& p) { return "secret file " + p + " is larger than 64 KiB"; }

// A path that is not a symlink: O_NOFOLLOW refuses one planted as the last component
// after lstat; O_NONBLOCK keeps a FIFO planted at the path from blocking the open (fstat
// then refuses it as not a regular file).
expected<file_descriptor, std::string> open_plain(const std::string& p) {
  file_descriptor fd(::open(p.c_str(), open_flags));
  if (fd.get() < 0) {
    const int e = errno;
    if (e == ELOOP) return unexpected{"secret file " + p + " became a symbolic link while it was opened; try again"};
    return unexpected{"cannot open secret file " + p + ": " + errno_text(e)};
  }
  // Check what was opened, not what lstat saw: the path may have changed in between.
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return unexpected{"cannot stat secret file " + p + ": " + errno_text(errno)};
  if (!S_ISREG(st.st_mode)) return unexpected{"secret file " + p + " is not a regular file"};
  if ((st.st_mode & 0077) != 0) {
    return unexpected{"secret file " + p + " is readable or writable by group or others (mode " +
                      octal_mode(st.st_mode) + "); chmod 600 it"};
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_secret_size) return unexpected{size_refusal(p)};
  return fd;
}

// Where a chain of links ends, as far as it can be followed: for naming the target of
// a link that leads nowhere.
fs::path last_link_target(fs::path p) {
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) break;
    fs::path next = fs::read_symlink(p, ec);
    if (ec) break;
    p = (next.is_absolute() ? next : p.parent_path() / next).lexically_normal();
  }
  return p;
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a plain file";
}

// Opens `relative` (canonical: no "..", no symlinks) under the directory `dir` one
// component at a time with O_NOFOLLOW, so a directory swapped for a symlink after the
// path was resolved cannot lead the open outside `dir`. Error: errno.
expected<file_descriptor, int> open_beneath(const fs::path& dir, const fs::path& relative) {
  file_descriptor at(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (at.get() < 0) return unexpected{errno};
  const std::vector<fs::path> parts(relative.begin(), relative.end());
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    file_descriptor next(::openat(at.get(), parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) return unexpected{errno};
    at = std::move(next);
  }
  file_descriptor fd(::openat(at.get(), parts.back().c_str(), open_flags));
  if (fd.get() < 0) return unexpected{errno};
  return fd;
}

// What makes the file a symlink leads to unsafe to trust, or empty. Group read is what
// a Kubernetes fsGroup adds (mode | 0440, group = fsGroup): safe only when that group
// is the one this process runs as.
std::string linked_file_problem(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return std::string("not a regular file (") + file_kind(st.st_mode) + ")";
  const uid_t euid = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != euid) {
    return "owned by uid " + std::to_string(st.st_uid) + "; it must belong to root or to uid " +
           std::to_string(euid) + ", the user vncgate runs as";
  }
  const std::string mode = "mode " + octal_mode(st.st_mode);
  const std::string fix = "; set defaultMode: 0400 in the Secret volume";
  if ((st.st_mode & S_IROTH) != 0) return mode + ": readable by others" + fix;
  if ((st.st_mode & (S_IWOTH | S_IXOTH)) != 0) return mode + ": writable or executable by others" + fix;
  if ((st.st_mode & (S_IWGRP | S_IXGRP)) != 0) return mode + ": writable or executable by group" + fix;
  const gid_t egid = ::getegid();
  if ((st.st_mode & S_IRGRP) != 0 && st.st_gid != egid) {
    return mode + ": readable by group " + std::to_string(st.st_gid) + ", which is not the group vncgate runs as (gid " +
           std::to_string(egid) + "); set the pod's runAsGroup to its fsGroup";
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_secret_size) return "larger than 64 KiB";
  return {};
}

// A path that is a symlink (a Kubernetes Secret volume: key -> ..data/key, ..data ->
// ..<timestamp>): followed to its end, which must lie inside the directory the path is
// in (its realpath, subdirectories included) and be a file linked_file_problem accepts.
expected<file_descriptor, std::string> open_linked(const fs::path& path) {
  const std::string p = path.string();
  const fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  const fs::path dir = fs::canonical(parent, ec);
  if (ec) return unexpected{"cannot open secret file " + p + ": its directory: " + ec.message()};
  const fs::path target = fs::canonical(path, ec);
  if (ec) {
    const std::string where = last_link_target(path).string();
    const std::string why = ec == std::errc::no_such_file_or_directory ? "the link is dangling" : ec.message();
    return unexpected{"secret file " + p + " (a symbolic link to " + where + "): " + why};
  }
  const std::string named = "secret file " + p + " (a symbolic link to " + target.string() + "): ";
  const fs::path relative = target.lexically_relative(dir);
  if (relative.empty() || relative == "." || *relative.begin() == "..")
    return unexpected{named + "points outside its directory " + dir.string()};

  auto fd = open_beneath(dir, relative);
  if (!fd) {
    if (fd.error() == ELOOP || fd.error() == ENOTDIR)
      return unexpected{named + "the link changed while it was opened; try again"};
    return unexpected{named + "cannot open it: " + errno_text(fd.error())};
  }
  // Check what was opened, not what the path names now.
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return unexpected{named + "cannot stat it: " + errno_text(errno)};
  if (auto problem = linked_file_problem(st); !problem.empty()) return unexpected{named + problem};
  return std::move(*fd);
}

// Opens the file and checks what the secret-file contract requires (secret_file.hpp).
expected<file_descriptor, std::string> open_checked(const fs::path& path) {
  const std::string p = path.string();
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    return unexpected{"cannot open secret file " + p + ": " + errno_text(errno)};
  }
  return S_ISLNK(st.st_mode) ? open_linked(path) : open_plain(p);
}

// Wipes a string's bytes when the scope ends (for copies of secrets we own).
class wipe_on_exit {
 public:
  explicit wipe_on_exit(std::string& s) noexcept : s_(s) {}
  wipe_on_exit(const wipe_on_exit&) = delete;
  wipe_on_exit& operator=(const wipe_on_exit&) = delete;
  ~wipe_on_exit() { OPENSSL_cleanse(s_.data(), s_.size()); }

 private:
  std::string& s_;
};

bool is_text_byte(unsigned char c) noexcept {
  return (c >= 0x20 && c <= 0x7e) || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

expected<bool, std::string> check_secret_file_mode(const std::filesystem::path& path) {
  auto fd = open_checked(path);
  if (!fd) return unexpected{fd.error()};
  return true;
}

expected<std::string, std::string> read_secret_file(const std::filesystem::path& path) {
  auto fd = open_checked(path);
  if (!fd) return unexpected{fd.error()};

  // One buffer of the cap plus one byte, filled in place: no reallocation leaves
  // unwiped copies behind, and a file that grew past the cap since fstat is caught.
  std::string buffer(max_secret_size + 1, '\0');
  wipe_on_exit wipe(buffer);
  std::size_t used = 0;
  while (used < buffer.size()) {
    const ssize_t n = ::read(fd->get(), buffer.data() + used, buffer.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unexpected{"cannot read secret file " + path.string() + ": " + errno_text(errno)};
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > max_secret_size) return unexpected{size_refusal(path.string())};
  return std::string(buffer.data(), used);
}

expected<std::string, std::string> read_vnc_password_file(const std::filesystem::path& path) {
  auto content = read_secret_file(path);
  if (!content) return unexpected{content.error()};
  std::string& raw = *content;
  wipe_on_exit wipe(raw);

  // `vncpasswd -f` writes 8 (or 16) DES-obfuscated bytes; text of the same length is
  // told apart by its bytes. An obfuscated password that happens to be all printable
  // (about 1 in 2,000) would be read as text: `vncpasswd -f` output is expected here,
  // so administrators who hit that can regenerate it.
  const bool binary_size = raw.size() == 8 || raw.size() == 16;
  const bool looks_binary = binary_size && std::any_of(raw.begin(), raw.end(), [](char c) {
    return !is_text_byte(static_cast<unsigned char>(c));
  });
  if (looks_binary) {
    const rfb::byte_view view(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
    auto decoded = rfb::decode_vncpasswd_file(view);
    if (!decoded) {
      return unexpected{"cannot decode VNC password file " + path.string() +
                        " (is OpenSSL's legacy provider, which holds DES, installed?)"};
    }
    wipe_on_exit wipe_decoded(*decoded);
    if (decoded->empty()) return unexpected{"VNC password file " + path.string() + " holds an empty password"};
    return std::string(*decoded);  // a copy: moving a short string would leave its bytes behind
  }

  const auto line_end = raw.find('\n');
  std::size_t length = line_end == std::string::npos ? raw.size() : line_end;
  if (length > 0 && raw[length - 1] == '\r') --length;
  if (length == 0) return unexpected{"VNC password file " + path.string() + " is empty"};
  return raw.substr(0, length);
}

}  // namespace vncgate::auth
