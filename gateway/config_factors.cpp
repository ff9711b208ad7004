// config_factors.cpp — see config_factors.hpp.
#include "gateway/config_factors.hpp"

#include <algorithm>

#include "gateway/client_certificate_check.hpp"

namespace vncgate::gateway::config_detail {

std::optional<second_factor> read_second_factor(const field& f, error_list& e) {
  auto name = read_string(f, "second_factor", e);
  if (!name) return std::nullopt;
  if (*name == "none") return second_factor::none;
  if (*name == "totp") return second_factor::totp;
  if (*name == "client_certificate") return second_factor::client_certificate;
  e.add(f, "expected none, totp or client_certificate for second_factor");
  return std::nullopt;
}

void read_auth_factors(const yaml_map& m, std::optional<auth_backend_kind> backend,
                       const std::filesystem::path& base_dir, auth_config& a, error_list& e) {
  if (auto factor = read_second_factor(m.get("second_factor"), e)) a.factor = *factor;
  const auto secrets_field = m.get("totp_secrets_file");
  if (auto path = read_path(secrets_field, "totp_secrets_file", base_dir, e)) {
    a.totp_secrets_file = *path;
    if (auto secrets = read_totp_secrets_file(*path, secrets_field, e)) a.totp_secrets = std::move(*secrets);
  }
  if (auto window = read_integer(m.get("totp_window"), "totp_window", 0, 10, e))
    a.totp_window = static_cast<unsigned>(*window);
  const auto issuer_field = m.get("totp_issuer");
  if (auto issuer = read_string(issuer_field, "totp_issuer", e)) {
    if (issuer->empty() || issuer->size() > 64 || issuer->find(':') != std::string::npos)
      e.add(issuer_field, "expected a name of 1 to 64 characters without ':' for totp_issuer");
    else
      a.totp_issuer = *issuer;
  }
  const auto prompts_field = m.get("pam_prompts");
  if (auto prompts = read_string(prompts_field, "pam_prompts", e)) {
    if (*prompts == "whole")
      a.pam_prompts = pam_prompt_mode::whole;
    else if (*prompts == "split")
      a.pam_prompts = pam_prompt_mode::split;
    else
      e.add(prompts_field, "expected whole or split for pam_prompts");
  }
  const auto digits_field = m.get("pam_code_digits");
  if (auto digits = read_integer(digits_field, "pam_code_digits", 6, 8, e))
    a.pam_code_digits = static_cast<unsigned>(*digits);
  if (backend == auth_backend_kind::file) {
    if (prompts_field.present()) e.add(prompts_field, "pam_prompts is only used with backend: pam");
    if (digits_field.present()) e.add(digits_field, "pam_code_digits is only used with backend: pam");
  }
}

void check_second_factors(const config& cfg, const YAML::Mark& auth_mark, bool totp_secrets_named, error_list& e) {
  const auto& a = cfg.auth;
  auto anywhere = [&](second_factor f) {
    return a.factor == f || std::any_of(cfg.targets.begin(), cfg.targets.end(),
                                        [f](const target_config& t) { return t.factor == f; });
  };
  if (anywhere(second_factor::totp)) {
    if (a.totp_secrets_file.empty() && !totp_secrets_named)
      e.add(auth_mark, "second_factor: totp needs auth.totp_secrets_file (the secrets `vncgate totp enroll` writes)");
    if (a.pam_prompts == pam_prompt_mode::split)
      e.add(auth_mark, "pam_prompts: split and second_factor: totp both take the code from the end of the "
                       "password field; use one of them");
  }
  const bool asked = std::any_of(cfg.listeners.begin(), cfg.listeners.end(), [](const listener_config& l) {
    return l.client_certificate != client_certificate_mode::off;
  });
  if (anywhere(second_factor::client_certificate) && !asked)
    e.add(auth_mark, cfg.tls.client_ca
                         ? "second_factor: client_certificate needs a listener with client_certificate: optional or required"
                         : "second_factor: client_certificate needs tls.client_ca (the CAs client certificates are "
                           "checked against)");
}

void read_client_trust(const yaml_map& m, const std::filesystem::path& base_dir, tls_config& out, error_list& e) {
  const auto ca_field = m.get("client_ca");
  const auto crl_field = m.get("client_crl");
  const auto ca = read_path(ca_field, "client_ca", base_dir, e);
  const auto crl = read_path(crl_field, "client_crl", base_dir, e);
  if (ca) out.client_ca = *ca;
  if (crl && !ca_field.present()) {
    e.add(crl_field, "client_crl needs client_ca (the CRLs are for the client CAs)");
  } else if (crl) {
    out.client_crl = *crl;
  }
  // Loaded now to report a bad file at its key; the runtime loads them again (also on reload).
  if (ca) {
    if (auto error = check_client_ca_file(*ca)) e.add(ca_field, std::move(*error));
  }
  if (ca && crl) {
    if (auto error = check_client_crl_file(*crl)) e.add(crl_field, std::move(*error));
  }
  const auto identity_field = m.get("client_identity");
  if (auto identity = read_string(identity_field, "client_identity", e)) {
    if (auto parsed = auth::parse_certificate_identity(*identity)) {
      out.client_identity = *parsed;
    } else {
      e.add(identity_field, "expected cn, san_email, san_dns or san_upn for client_identity");
    }
  }
}

}  // namespace vncgate::gateway::config_detail
