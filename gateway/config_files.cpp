// config_files.cpp — reading the configuration file and checking the files it names: the
// users file and the TLS certificate and key. Blocking file I/O, at start-up or reload only.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

#include "auth/password_hash.hpp"
#include "auth/secret_file.hpp"
#include "gateway/config_yaml.hpp"

namespace vncgate::gateway::config_detail {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_config_size = 16 * 1024 * 1024;

struct file_close {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
struct bio_free {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct x509_free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct pkey_free {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

// Without a callback OpenSSL would prompt on the terminal for an encrypted key.
int refuse_passphrase(char*, int, int, void*) { return -1; }

constexpr std::string_view top_keys[] = {"users"};
constexpr std::string_view user_keys[] = {"password_hash", "groups"};

std::optional<auth::user_record> read_user(const YAML::Node& key, const YAML::Node& value,
                                           error_list& e) {
  const std::string name = key.Scalar();
  const yaml_map m(field(value, key), "user '" + name + "'", user_keys, {}, e);
  if (!m.valid()) return std::nullopt;
  auth::user_record user;
  user.name = name;
  const auto hash_field = m.require("password_hash");
  if (auto hash = read_string(hash_field, "password_hash", e)) {
    if (auth::is_supported_hash(*hash)) {
      user.password_hash = std::move(*hash);
    } else {
      e.add(hash_field, "unsupported password hash for " + name +
                            ": use `vncgate hash-password`");
    }
  }
  if (auto groups = read_string_list(m.get("groups"), "groups", e)) user.groups = std::move(*groups);
  return user;
}

}  // namespace

std::optional<std::string> read_config_text(const fs::path& path, error_list& errors) {
  const auto fail = [&](int err) {
    errors.add_unplaced(std::string("cannot read the configuration file: ") + std::strerror(err));
    return std::nullopt;
  };
  errno = 0;
  std::unique_ptr<std::FILE, file_close> file(std::fopen(path.c_str(), "rb"));
  if (!file) return fail(errno);
  std::string text;
  char buffer[8192];
  while (true) {
    const auto n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (text.size() > max_config_size) {
      errors.add_unplaced("the configuration file is larger than 16 MiB");
      return std::nullopt;
    }
    if (n < sizeof buffer) break;
  }
  if (std::ferror(file.get())) return fail(errno);
  return text;
}

std::optional<std::vector<auth::user_record>> read_users_file(const fs::path& path,
                                                              const field& where,
                                                              error_list& config_errors) {
  auto content = auth::read_secret_file(path);
  if (!content) {
    config_errors.add(where, content.error());
    return std::nullopt;
  }
  wipe_on_exit guard{content.value()};
  auto e = config_errors.for_file(path.string());
  const auto before = e.total();

  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(content.value());
  } catch (const YAML::ParserException& ex) {
    e.add(ex.mark, ex.msg);
    return std::nullopt;
  }
  if (docs.empty() || docs.front().IsNull()) {
    e.add_unplaced("the users file is empty; expected a mapping with 'users'");
    return std::nullopt;
  }
  if (docs.size() > 1) e.add(docs[1], "only one YAML document is allowed in the users file");

  const yaml_map top(field(docs.front()), "the users file", top_keys, {}, e);
  const auto users = top.require("users");
  std::vector<auth::user_record> out;
  if (users.present() && !users.value.IsMap()) {
    e.add(users, "expected a mapping of user names for users");
  } else if (users.present()) {
    for (const auto& kv : users.value) {
      if (!kv.first.IsScalar() || kv.first.Scalar().empty()) {
        e.add(kv.first, "expected a user name");
        continue;
      }
      const auto& name = kv.first.Scalar();
      if (std::any_of(out.begin(), out.end(), [&](const auto& u) { return u.name == name; })) {
        e.add(kv.first, "duplicate user '" + name + "'");
        continue;
      }
      if (auto user = read_user(kv.first, kv.second, e)) out.push_back(std::move(*user));
    }
    if (users.value.size() == 0) e.add(users, "users is empty: the file backend needs at least one user");
  }
  if (e.total() != before) {
    for (auto& u : out) wipe(u.password_hash);
    return std::nullopt;
  }
  return out;
}

void check_tls_files(const std::optional<fs::path>& certificate, const field& certificate_field,
                     const std::optional<fs::path>& private_key, const field& key_field,
                     error_list& errors) {
  std::unique_ptr<X509, x509_free> cert;
  if (certificate) {
    errno = 0;
    std::unique_ptr<BIO, bio_free> bio(BIO_new_file(certificate->c_str(), "r"));
    if (!bio) {
      const int err = errno;
      errors.add(certificate_field, "cannot read certificate " + certificate->string() + ": " +
                                        (err ? std::strerror(err) : "unknown error"));
    } else {
      cert.reset(PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr));
      if (!cert) {
        errors.add(certificate_field,
                   "no PEM certificate found in " + certificate->string());
      }
    }
  }

  std::unique_ptr<EVP_PKEY, pkey_free> key;
  if (private_key) {
    auto content = auth::read_secret_file(*private_key);
    if (!content) {
      errors.add(key_field, content.error());
    } else {
      wipe_on_exit guard{content.value()};
      std::unique_ptr<BIO, bio_free> bio;
      if (content.value().size() < INT_MAX) {
        bio.reset(BIO_new_mem_buf(content.value().data(), static_cast<int>(content.value().size())));
      }
      if (bio) key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
      if (!key) {
        errors.add(key_field, "no PEM private key found in " + private_key->string() +
                                  " (encrypted keys are not supported)");
      }
    }
  }

  if (cert && key && X509_check_private_key(cert.get(), key.get()) != 1) {
    errors.add(key_field, "private key " + private_key->string() +
                              " does not match certificate " + certificate->string());
  }
  // Failed reads leave entries on this thread's OpenSSL error queue; later TLS code
  // must not mistake them for its own.
  ERR_clear_error();
}

}  // namespace vncgate::gateway::config_detail
