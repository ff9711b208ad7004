#include "gateway/totp_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>

#include "auth/otpauth.hpp"
#include "gateway/config_yaml.hpp"
#include "gateway/qr_text.hpp"

namespace vncgate::gateway {
namespace {

namespace fs = std::filesystem;
using namespace config_detail;

constexpr const char* default_config = "/etc/vncgate/vncgate.yaml";
constexpr const char* usage = R"(usage:
  vncgate totp enroll USER [--config FILE] [--algorithm sha1|sha256|sha512] [--digits 6|8] [--replace] [--invert]
  vncgate totp verify USER CODE [--config FILE]
  FILE defaults to /etc/vncgate/vncgate.yaml
)";

struct totp_settings {
  fs::path secrets_file;
  std::string issuer = "vncgate";
  unsigned window = 1;
};

// auth.totp_secrets_file, totp_issuer and totp_window from the configuration, read on
// their own: the rest of the file may name things this command does not need.
std::optional<totp_settings> read_settings(const fs::path& config_path) {
  std::vector<config_error> errors;
  error_list e(config_path.string(), errors);
  auto text = read_config_text(config_path, e);
  totp_settings out;
  if (text) {
    try {
      YAML::Node root = YAML::Load(*text);
      YAML::Node auth = root.IsMap() ? root["auth"] : YAML::Node();
      YAML::Node file = auth.IsMap() ? auth["totp_secrets_file"] : YAML::Node();
      if (!file.IsScalar()) {
        e.add(auth.IsMap() ? auth.Mark() : root.Mark(), "auth has no totp_secrets_file: name the file the secrets go to");
      } else {
        out.secrets_file = *read_path(field(file), "totp_secrets_file", fs::absolute(config_path).parent_path(), e);
        if (YAML::Node issuer = auth["totp_issuer"]; issuer.IsScalar()) out.issuer = issuer.Scalar();
        if (auto window = read_integer(field(auth["totp_window"]), "totp_window", 0, 10, e))
          out.window = static_cast<unsigned>(*window);
      }
    } catch (const YAML::Exception& ex) {
      e.add(ex.mark, ex.msg);
    }
  }
  if (!errors.empty()) {
    for (const auto& err : errors) std::cerr << err.to_string() << "\n";
    return std::nullopt;
  }
  return out;
}

// The secrets now in the file; an empty map when it does not exist yet.
std::optional<totp_secret_map> read_secrets(const fs::path& path, bool may_be_missing) {
  std::error_code ec;
  if (may_be_missing && !fs::exists(fs::symlink_status(path, ec))) return totp_secret_map{};
  std::vector<config_error> errors;
  error_list e(path.string(), errors);
  auto secrets = read_totp_secrets_file(path, field(), e);
  for (const auto& err : errors) std::cerr << err.to_string() << "\n";
  return secrets;
}

// Writes `text` to a new file beside `path` and renames it over `path`: a reader sees
// the old file or the new one, never half of one. The new file keeps the old owner.
bool replace_file(const fs::path& path, const std::string& text) {
  std::string temp = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(temp.data());  // mode 0600
  if (fd < 0) {
    std::cerr << "vncgate: cannot create a file in " << path.parent_path() << ": " << std::strerror(errno) << "\n";
    return false;
  }
  bool ok = true;
  struct stat old {};
  if (::stat(path.c_str(), &old) == 0 && ::fchown(fd, old.st_uid, old.st_gid) != 0) ok = false;
  for (std::size_t done = 0; ok && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  ok = ok && ::rename(temp.c_str(), path.c_str()) == 0;
  if (!ok) {
    std::cerr << "vncgate: cannot write " << path << ": " << std::strerror(errno) << "\n";
    ::unlink(temp.c_str());
  }
  return ok;
}

bool valid_user_name(std::string_view user) {
  if (user.empty() || user.size() > 255) return false;
  for (char c : user)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

int enroll(std::string_view user, const totp_settings& settings, auth::otp_hash hash, unsigned digits, bool replace,
           bool invert) {
  auto secrets = read_secrets(settings.secrets_file, true);
  if (!secrets) return 1;
  if (secrets->contains(user) && !replace) {
    std::cerr << "vncgate: " << user << " is already enrolled in " << settings.secrets_file.string()
              << "; --replace makes a new secret (the old one stops working)\n";
    return 1;
  }
  auto secret = auth::generate_totp_secret(hash, digits);
  if (!secret) {
    std::cerr << "vncgate: the random number generator failed\n";
    return 1;
  }
  std::string uri = auth::otpauth_uri(settings.issuer, user, *secret);
  secrets->insert_or_assign(std::string(user), std::move(*secret));
  std::string text = totp_secrets_text(*secrets);
  bool written = replace_file(settings.secrets_file, text);
  wipe(text);
  if (!written) {
    wipe(uri);
    return 1;
  }
  std::cout << uri << "\n";
  if (auto modules = qr_modules(uri)) std::cout << qr_blocks(*modules, invert);
  wipe(uri);
  std::cerr << "vncgate: " << user << " enrolled in " << settings.secrets_file.string()
            << "; scan the code with an authenticator app, then reload vncgate (systemctl reload vncgate)\n";
  return 0;
}

int verify(std::string_view user, std::string_view code, const totp_settings& settings) {
  auto secrets = read_secrets(settings.secrets_file, false);
  if (!secrets) return 1;
  auto it = secrets->find(user);
  if (it == secrets->end()) {
    std::cerr << "vncgate: " << user << " is not enrolled in " << settings.secrets_file.string() << "\n";
    return 1;
  }
  auto step = auth::match_totp(it->second, code, std::time(nullptr), settings.window);
  if (!step) {
    std::cout << "code not accepted for " << user << " (window: " << settings.window << " steps each side)\n";
    return 1;
  }
  const auto now = auth::totp_counter(std::time(nullptr), it->second.step);
  const auto offset = static_cast<long long>(*step) - static_cast<long long>(now);
  std::cout << "code accepted for " << user << " (step " << (offset >= 0 ? "+" : "") << offset
            << " from now; not spent: the gateway still takes it once)\n";
  return 0;
}

}  // namespace

int totp_command(std::span<const std::string_view> args) {
  if (args.empty() || (args[0] != "enroll" && args[0] != "verify")) {
    std::cerr << usage;
    return 2;
  }
  const bool enrolling = args[0] == "enroll";
  std::vector<std::string_view> positional;
  std::optional<fs::path> config;
  auto hash = auth::otp_hash::sha1;
  unsigned digits = 6;
  bool replace = false, invert = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--config" && has_value) {
      config = fs::path(args[++i]);
    } else if (enrolling && a == "--algorithm" && has_value) {
      auto h = auth::otp_hash_from(args[++i]);
      if (!h) {
        std::cerr << "vncgate: expected sha1, sha256 or sha512 for --algorithm\n";
        return 2;
      }
      hash = *h;
    } else if (enrolling && a == "--digits" && has_value) {
      const auto d = args[++i];
      if (d != "6" && d != "7" && d != "8") {
        std::cerr << "vncgate: expected 6, 7 or 8 for --digits\n";
        return 2;
      }
      digits = static_cast<unsigned>(d[0] - '0');
    } else if (enrolling && a == "--replace") {
      replace = true;
    } else if (enrolling && a == "--invert") {
      invert = true;
    } else if (!a.starts_with("--")) {
      positional.push_back(a);
    } else {
      std::cerr << "vncgate: unexpected argument '" << a << "'\n" << usage;
      return 2;
    }
  }
  if (!config) config = fs::path(default_config);
  if (positional.size() != (enrolling ? 1u : 2u)) {
    std::cerr << usage;
    return 2;
  }
  if (!valid_user_name(positional[0])) {
    std::cerr << "vncgate: expected a user name of 1 to 255 printable characters\n";
    return 2;
  }
  auto settings = read_settings(*config);
  if (!settings) return 1;
  if (enrolling) return enroll(positional[0], *settings, hash, digits, replace, invert);
  return verify(positional[0], positional[1], *settings);
}

}  // namespace vncgate::gateway
