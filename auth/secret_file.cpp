// secret_file.cpp — open, check and read secret files without following symlinks.
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

#include "rfb/vnc_auth.hpp"

namespace vncgate::auth {
namespace {

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
  file_descriptor& operator=(file_descriptor&&) = delete;
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string symlink_refusal(const std::string& p) {
  return "secret file " + p + " is a symbolic link; configure the path of the file itself";
}

// Opens the file and checks what the secret-file contract requires. O_NOFOLLOW refuses
// a symlink as the last component; O_NONBLOCK keeps a FIFO planted at the path from
// blocking the open (fstat then refuses it as not a regular file).
expected<file_descriptor, std::string> open_checked(const std::filesystem::path& path) {
  const std::string p = path.string();
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    return unexpected{"cannot open secret file " + p + ": " + errno_text(errno)};
  }
  if (S_ISLNK(st.st_mode)) return unexpected{symlink_refusal(p)};
  file_descriptor fd(::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) {
    const int e = errno;
    if (e == ELOOP) return unexpected{symlink_refusal(p)};
    return unexpected{"cannot open secret file " + p + ": " + errno_text(e)};
  }
  // Check what was opened, not what lstat saw: the path may have changed in between.
  if (::fstat(fd.get(), &st) != 0) return unexpected{"cannot stat secret file " + p + ": " + errno_text(errno)};
  if (!S_ISREG(st.st_mode)) return unexpected{"secret file " + p + " is not a regular file"};
  if ((st.st_mode & 0077) != 0) {
    return unexpected{"secret file " + p + " is readable or writable by group or others (mode " +
                      octal_mode(st.st_mode) + "); chmod 600 it"};
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_secret_size) {
    return unexpected{"secret file " + p + " is larger than 64 KiB"};
  }
  return fd;
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
  if (used > max_secret_size) return unexpected{"secret file " + path.string() + " is larger than 64 KiB"};
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
