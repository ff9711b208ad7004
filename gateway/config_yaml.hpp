// config_yaml.hpp — the pieces load_config is built from (private to gateway/config*.cpp).
//
// Every reader reports a problem into an error_list, placed at the YAML node that caused
// it, and returns nullopt; none of them throws on bad input, so the loader keeps going
// and collects every error in one pass. Only gateway/config*.cpp may include this header
// (it pulls in yaml-cpp). Blocking only where it reads files (config_files.cpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/file_backend.hpp"
#include "gateway/config.hpp"

namespace vncgate::gateway::config_detail {

// Errors for one file; several lists may append to the same vector (the users file's
// errors carry the users file's name).
struct field;

class error_list {
 public:
  error_list(std::string file, std::vector<config_error>& out) : file_(std::move(file)), out_(out) {}
  void add(const YAML::Mark& at, std::string message);
  void add(const YAML::Node& at, std::string message) { add(at.Mark(), std::move(message)); }
  void add(const field& at, std::string message);
  void add_unplaced(std::string message);  // line 0: the file as a whole
  const std::string& file() const noexcept { return file_; }
  // A list for another file (the users file) that appends to the same errors.
  error_list for_file(std::string file) const { return error_list(std::move(file), out_); }
  std::size_t total() const noexcept { return out_.size(); }  // errors so far, all files

 private:
  std::string file_;
  std::vector<config_error>& out_;
};

// A value and the place an error about it points at: the value itself, or its key when
// the value is empty ("address:" with nothing after it has no useful place of its own).
struct field {
  YAML::Node value{YAML::NodeType::Undefined};  // undefined: the key is absent
  YAML::Mark mark = YAML::Mark::null_mark();
  field() = default;
  explicit field(const YAML::Node& n) : value(n), mark(n.Mark()) {}
  field(const YAML::Node& v, const YAML::Node& key)
      : value(v), mark(v.IsNull() ? key.Mark() : v.Mark()) {}
  bool present() const { return value.IsDefined(); }
};

// A YAML mapping, checked: keys are plain scalars, no key appears twice, and every key is
// known. Keys listed as not_supported (in the product contract but not built yet) are
// reported as "<key> is not supported yet" rather than unknown.
class yaml_map {
 public:
  yaml_map(const field& f, std::string_view what, std::span<const std::string_view> known,
           std::span<const std::string_view> not_supported, error_list& errors);

  bool valid() const noexcept { return valid_; }  // false: absent, or not a mapping
  // The value; not present() when the key is absent.
  field get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).present(); }
  // As get(), but reports "<what> is missing '<key>'" at the mapping when absent.
  field require(std::string_view key) const;
  const YAML::Mark& mark() const noexcept { return mark_; }
  // Where the key itself is written (for errors about a whole sub-mapping); the null
  // mark when the key is absent.
  YAML::Mark key_mark(std::string_view key) const;

 private:
  struct entry {
    std::string key;
    field value;
    YAML::Mark key_mark;
  };
  YAML::Mark mark_;
  std::string what_;
  std::vector<entry> entries_;
  error_list& errors_;
  bool valid_ = false;
};

// Typed values. `name` is the key, used in the message ("... for display"). A field that
// is not present() gives nullopt with no error: a missing required key was reported by
// yaml_map::require already.
std::optional<std::string> read_string(const field& f, std::string_view name, error_list& e);
std::optional<std::int64_t> read_integer(const field& f, std::string_view name,
                                         std::int64_t min, std::int64_t max, error_list& e);
std::optional<bool> read_bool(const field& f, std::string_view name, error_list& e);
std::optional<std::chrono::milliseconds> read_duration(const field& f, std::string_view name,
                                                       std::chrono::milliseconds min,
                                                       std::chrono::milliseconds max,
                                                       error_list& e);
std::optional<std::vector<std::string>> read_string_list(const field& f, std::string_view name,
                                                         error_list& e);
// A list of addresses and CIDR ranges (policy::parse_cidr); each bad entry is reported at
// the entry with parse_cidr's sentence. An empty list is valid (no rule).
std::optional<std::vector<policy::cidr>> read_cidr_list(const field& f, std::string_view name,
                                                        error_list& e);
// A file path; relative paths are taken against base_dir. Result is absolute and normal.
std::optional<std::filesystem::path> read_path(const field& f, std::string_view name,
                                               const std::filesystem::path& base_dir,
                                               error_list& e);
// "host:port" or "[v6]:port", port 1..65535.
std::optional<endpoint> read_endpoint(const field& f, std::string_view name, error_list& e);

// Pure parsers behind the readers (exposed for the messages and for tests of edge cases).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept;
std::string format_duration(std::chrono::milliseconds d);

// The files (config_files.cpp).

// The configuration file's text; nullopt after reporting (line 0) why it cannot be read.
std::optional<std::string> read_config_text(const std::filesystem::path& path, error_list& errors);


// Reads and validates the users file. Errors about reaching the file (mode, missing) are
// placed at `where` in the main config; errors inside it carry the users file's path.
std::optional<std::vector<auth::user_record>> read_users_file(const std::filesystem::path& path,
                                                              const field& where,
                                                              error_list& config_errors);

// Reads and validates the TOTP secrets file (config_totp.cpp), like read_users_file.
using totp_secret_map = std::map<std::string, auth::totp_secret, std::less<>>;
std::optional<totp_secret_map> read_totp_secrets_file(const std::filesystem::path& path, const field& where,
                                                      error_list& config_errors);
// The file's text for `secrets` (every key in base32): what `vncgate totp enroll` writes.
std::string totp_secrets_text(const totp_secret_map& secrets);

// Checks the TLS certificate and key: PEM, key file mode, and that they match. Each
// problem is placed at the field it concerns; an absent path (already reported) is skipped.
void check_tls_files(const std::optional<std::filesystem::path>& certificate,
                     const field& certificate_field,
                     const std::optional<std::filesystem::path>& private_key,
                     const field& key_field, error_list& errors);

// Overwrites a string's whole buffer (not just its size) with zeros.
void wipe(std::string& s) noexcept;

// Wipes a secret buffer on every way out of a scope.
struct wipe_on_exit {
  std::string& s;
  ~wipe_on_exit() { wipe(s); }
};

}  // namespace vncgate::gateway::config_detail
