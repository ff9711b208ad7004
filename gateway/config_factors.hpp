// config_factors.hpp — the readers for second factors (private to gateway/config*.cpp):
// the TOTP and PAM-prompt keys of `auth`, `second_factor` wherever it appears, the trust
// for client certificates in `tls`, and the checks that a factor someone must show has
// what checks it.
//
// Same rules as config_yaml.hpp: every problem goes into the error_list at the node that
// caused it, nothing throws on bad input. Reads the TOTP secrets file it names.
#pragma once

#include <filesystem>
#include <optional>

#include "gateway/config.hpp"
#include "gateway/config_yaml.hpp"

namespace vncgate::gateway::config_detail {

// `none`, `totp` or `client_certificate`; nullopt when absent or after reporting.
std::optional<second_factor> read_second_factor(const field& f, error_list& e);

// auth.second_factor, totp_secrets_file (and the file), totp_window, totp_issuer,
// pam_prompts, pam_code_digits; `backend` as read (absent when it was invalid).
void read_auth_factors(const yaml_map& auth, std::optional<auth_backend_kind> backend,
                       const std::filesystem::path& base_dir, auth_config& out, error_list& e);

// tls.client_ca, client_crl (both files checked now, to place an error at its key; the
// runtime loads them again, also on reload) and client_identity.
void read_client_trust(const yaml_map& tls, const std::filesystem::path& base_dir, tls_config& out, error_list& e);

// After auth, targets, tls and listeners are read: totp needs a secrets file (unless
// `totp_secrets_named` and already reported), and not together with PAM split prompts;
// client_certificate needs tls.client_ca and a listener that asks. Errors at `auth_mark`.
void check_second_factors(const config& cfg, const YAML::Mark& auth_mark, bool totp_secrets_named, error_list& e);

}  // namespace vncgate::gateway::config_detail
