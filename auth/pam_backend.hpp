// pam_backend.hpp — authentication through a PAM service.
//
// pam_start(service) -> pam_authenticate -> pam_acct_mgmt -> pam_end, with a
// conversation that answers the echo-on prompt with the user name (once), echo-off
// prompts from the typed password field as pam_prompts says, and fails any further
// prompt. The PAM handle lives in an RAII holder; the password and code copies handed
// to PAM are wiped after the call, and the code never appears in the detail text.
// The client's address is set as PAM_RHOST, so the stack can decide on it (pam_access).
// Groups come from NSS (getpwnam_r + getgrouplist) after success; a user PAM accepts
// but NSS does not know (pam_wrapper tests, LDAP without nss) has no groups.
// Blocking; thread-safe (one PAM handle per call).
#pragma once

#include <string>

#include "auth/backend.hpp"

namespace vncgate::auth {

// How the one typed password field answers the stack's echo-off prompts.
struct pam_prompts {
  // 0: "whole" mode: the whole typed string answers the first echo-off prompt; a second
  //    one is refused (PAM_CONV_ERR). For stacks that take password+code in one prompt
  //    (pam_oath digits=N first, then the password module with use_first_pass).
  // 6..8: "split" mode, for stacks that prompt twice (password module, then pam_oath):
  //    when the typed string ends in this many ASCII digits after a non-empty password
  //    (split_password_code), the first echo-off prompt gets the password and the second
  //    the code; a third is refused. Without such a code the first prompt gets the whole
  //    string, a second one is refused, and the login is rejected (the person's doing).
  //    Other values never find a code; the configuration accepts only 0 and 6..8.
  unsigned split_code_digits = 0;
};

class pam_backend final : public backend {
 public:
  explicit pam_backend(std::string service, pam_prompts prompts = {});
  std::string_view name() const noexcept override { return "pam"; }

 private:
  verdict check(std::string_view user, std::string_view password, std::string_view remote_host) const override;
  std::string service_;
  pam_prompts prompts_;
};

}  // namespace vncgate::auth
