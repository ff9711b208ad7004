#include "gateway/runtime.hpp"

#include <algorithm>

#include "auth/file_backend.hpp"
#include "auth/pam_backend.hpp"
#include "rfb/vnc_auth.hpp"

namespace vncgate::gateway {

expected<std::shared_ptr<const runtime>, std::string> make_runtime(config cfg) {
  bool uses_vnc_auth =
      std::any_of(cfg.targets.begin(), cfg.targets.end(), [](const target_config& t) { return !t.password.empty(); });
  if (uses_vnc_auth && !rfb::vnc_auth_available())
    return unexpected(std::string("DES for VNC authentication is unavailable (OpenSSL's legacy provider is missing)"));
  auto tls = make_tls_contexts(cfg);
  if (!tls) return unexpected(tls.error());
  auto rt = std::make_shared<runtime>();
  rt->tls = std::move(*tls);
  if (cfg.auth.backend == auth_backend_kind::pam)
    rt->backend = std::make_unique<auth::pam_backend>(
        cfg.auth.pam_service,
        auth::pam_prompts{cfg.auth.pam_prompts == pam_prompt_mode::split ? cfg.auth.pam_code_digits : 0});
  else
    rt->backend = std::make_unique<auth::file_backend>(cfg.auth.users);
  rt->cfg = std::move(cfg);
  return std::shared_ptr<const runtime>(std::move(rt));
}

}  // namespace vncgate::gateway
