// config_totp.cpp — the TOTP secrets file: reading it (load, reload, `vncgate totp`) and
// writing it back (`vncgate totp enroll`).
//
//   users:
//     alice: { secret: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ }             # SHA-1, 6 digits
//     bob:   { secret: ..., algorithm: sha256, digits: 8 }
//
// A secret file: refused when group/world readable or a symlink (auth/secret_file.hpp).
#include <yaml-cpp/yaml.h>

#include "auth/base32.hpp"
#include "auth/secret_file.hpp"
#include "gateway/config_yaml.hpp"

namespace vncgate::gateway::config_detail {
namespace {

constexpr std::string_view top_keys[] = {"users"};
constexpr std::string_view entry_keys[] = {"secret", "algorithm", "digits"};
constexpr std::size_t min_key_bytes = 10;  // 80 bits: RFC 4226 §4 asks for at least 128, apps make 160

std::optional<auth::totp_secret> read_entry(const YAML::Node& key, const YAML::Node& value, error_list& e) {
  const std::string name = key.Scalar();
  const yaml_map m(field(value, key), "TOTP secret of '" + name + "'", entry_keys, {}, e);
  if (!m.valid()) return std::nullopt;
  auth::totp_secret secret;
  bool ok = true;
  const auto secret_field = m.require("secret");
  if (auto text = read_string(secret_field, "secret", e)) {
    wipe_on_exit guard{*text};
    auto key_bytes = auth::base32_decode(*text);
    if (!key_bytes) {
      e.add(secret_field, "expected the secret in base32 (A-Z, 2-7) for secret");
      ok = false;
    } else if (key_bytes->size() < min_key_bytes) {
      e.add(secret_field, "the secret is " + std::to_string(key_bytes->size() * 8) +
                              " bits; at least 80 are needed (vncgate totp enroll makes 160)");
      ok = false;
    } else {
      secret.key = std::move(*key_bytes);
    }
  } else {
    ok = false;
  }
  const auto algorithm_field = m.get("algorithm");
  if (auto algorithm = read_string(algorithm_field, "algorithm", e)) {
    if (auto hash = auth::otp_hash_from(*algorithm)) {
      secret.hash = *hash;
    } else {
      e.add(algorithm_field, "expected sha1, sha256 or sha512 for algorithm");
      ok = false;
    }
  }
  const auto digits_field = m.get("digits");
  if (auto digits = read_integer(digits_field, "digits", 6, 8, e)) {
    secret.digits = static_cast<unsigned>(*digits);
  } else if (digits_field.present()) {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return secret;
}

}  // namespace

std::optional<totp_secret_map> read_totp_secrets_file(const std::filesystem::path& path, const field& where,
                                                      error_list& config_errors) {
  auto content = auth::read_secret_file(path);
  if (!content) {
    config_errors.add(where, content.error());
    return std::nullopt;
  }
  wipe_on_exit guard{content.value()};
  auto e = config_errors.for_file(path.string());
  const auto before = e.total();

  YAML::Node root;
  try {
    root = YAML::Load(content.value());
  } catch (const YAML::ParserException& ex) {
    e.add(ex.mark, ex.msg);
    return std::nullopt;
  }
  totp_secret_map out;
  if (root.IsNull()) return out;  // an empty file: nobody enrolled yet
  const yaml_map top(field(root), "the TOTP secrets file", top_keys, {}, e);
  if (!top.valid()) return std::nullopt;
  const auto users = top.get("users");
  if (users.present() && !users.value.IsMap()) {
    e.add(users, "expected a mapping of user names for users");
  } else if (users.present()) {
    for (const auto& kv : users.value) {
      if (!kv.first.IsScalar() || kv.first.Scalar().empty()) {
        e.add(kv.first, "expected a user name");
        continue;
      }
      const auto& name = kv.first.Scalar();
      if (out.contains(name)) {
        e.add(kv.first, "duplicate user '" + name + "'");
        continue;
      }
      if (auto secret = read_entry(kv.first, kv.second, e)) out.emplace(name, std::move(*secret));
    }
  }
  if (e.total() != before) return std::nullopt;
  return out;
}

std::string totp_secrets_text(const totp_secret_map& secrets) {
  YAML::Emitter out;
  out << YAML::Comment("vncgate TOTP secrets: written by `vncgate totp enroll`; keep mode 0600") << YAML::Newline;
  out << YAML::BeginMap << YAML::Key << "users" << YAML::Value << YAML::BeginMap;
  for (const auto& [user, secret] : secrets) {
    std::string key_text = auth::base32_encode(secret.key);
    out << YAML::Key << user << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "secret" << YAML::Value << key_text;
    if (secret.hash != auth::otp_hash::sha1)
      out << YAML::Key << "algorithm" << YAML::Value << std::string(auth::to_string(secret.hash));
    if (secret.digits != 6) out << YAML::Key << "digits" << YAML::Value << secret.digits;
    out << YAML::EndMap;
    wipe(key_text);
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace vncgate::gateway::config_detail
