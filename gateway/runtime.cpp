#include "gateway/runtime.hpp"

#include "auth/file_backend.hpp"
#include "auth/pam_backend.hpp"

namespace vncgate::gateway {

expected<std::shared_ptr<const runtime>, std::string> make_runtime(config cfg) {
  auto tls = make_tls_contexts(cfg);
  if (!tls) return unexpected(tls.error());
  auto rt = std::make_shared<runtime>();
  rt->tls = std::move(*tls);
  if (cfg.auth.backend == auth_backend_kind::pam)
    rt->backend = std::make_unique<auth::pam_backend>(cfg.auth.pam_service);
  else
    rt->backend = std::make_unique<auth::file_backend>(cfg.auth.users);
  rt->cfg = std::move(cfg);
  return std::shared_ptr<const runtime>(std::move(rt));
}

}  // namespace vncgate::gateway
