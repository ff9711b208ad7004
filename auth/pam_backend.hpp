// pam_backend.hpp — authentication through a PAM service.
//
// pam_start(service) -> pam_authenticate -> pam_acct_mgmt -> pam_end, with a
// conversation that answers an echo-off prompt with the password and any echo-on
// prompt with the user name (once each), and fails any further prompt. The PAM handle
// lives in an RAII holder; the password copy handed to PAM is wiped after the call.
// The client's address is set as PAM_RHOST, so the stack can decide on it (pam_access).
// Groups come from NSS (getpwnam_r + getgrouplist) after success; a user PAM accepts
// but NSS does not know (pam_wrapper tests, LDAP without nss) has no groups.
// Blocking; thread-safe (one PAM handle per call).
#pragma once

#include <string>

#include "auth/backend.hpp"

namespace vncgate::auth {

class pam_backend final : public backend {
 public:
  explicit pam_backend(std::string service);
  std::string_view name() const noexcept override { return "pam"; }

 private:
  verdict check(std::string_view user, std::string_view password, std::string_view remote_host) const override;
  std::string service_;
};

}  // namespace vncgate::auth
