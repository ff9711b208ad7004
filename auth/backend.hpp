// backend.hpp — who the person is: the interface every password backend implements.
//
// authenticate() BLOCKS (PAM conversations, crypt(3) hashing): the gateway calls it only
// from its bounded authentication thread pool, never from an I/O thread. Implementations
// are thread-safe: one backend object serves concurrent calls.
//
// A refusal never says whether the user exists: an unknown user and a wrong password
// both give outcome::rejected, and both spend comparable time (the file backend hashes
// against a dummy hash for unknown users). `detail` is for the audit log only; it never
// holds a password and is never sent to the client.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vncgate::auth {

struct identity {
  std::string user;
  std::vector<std::string> groups;
};

enum class outcome {
  accepted,
  rejected,  // wrong password, unknown user, account not permitted: one answer for all
  error,     // the backend itself failed (PAM misconfigured, libcrypt error)
};

struct verdict {
  outcome result = outcome::error;
  identity who;        // filled when accepted
  std::string detail;  // for the log: e.g. "pam_authenticate: Authentication failure"
};

class backend {
 public:
  virtual ~backend() = default;
  // `remote_host` is the client's address ("192.0.2.7", "2001:db8::1"), empty when
  // unknown; PAM passes it to its modules as PAM_RHOST (pam_access, pam_faillock, ...).
  verdict authenticate(std::string_view user, std::string_view password, std::string_view remote_host = {}) const {
    return check(user, password, remote_host);
  }
  virtual std::string_view name() const noexcept = 0;  // "pam", "file"

 private:
  virtual verdict check(std::string_view user, std::string_view password, std::string_view remote_host) const = 0;
};

std::string_view to_string(outcome o) noexcept;

}  // namespace vncgate::auth
