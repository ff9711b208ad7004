// pam_backend.cpp — one PAM transaction per call: start, authenticate, account check, end.
#include "auth/pam_backend.hpp"

#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "auth/password_code.hpp"

namespace vncgate::auth {
namespace {

constexpr std::size_t max_module_messages = 512;   // bytes of module text kept for the log
constexpr std::size_t max_nss_buffer = 1 << 20;     // getpwnam_r / getgrgid_r scratch cap
constexpr int max_groups = 65536;

// What the conversation answers with, and what modules told us. The password and code
// copies are ours, so they are wiped here; PAM wipes and frees the malloc'ed copies it
// receives.
struct conversation_state {
  std::string user;
  std::string password;  // answers the first echo-off prompt
  std::string code;      // answers the second (split mode with a code typed); else empty
  bool has_code = false;
  bool split_mode = false;
  bool user_sent = false;
  int secrets_sent = 0;  // echo-off prompts answered
  bool code_missing = false;         // split mode: a code was asked for, none was typed
  bool extra_prompt_refused = false;  // an echo-off prompt found nothing left to answer
  std::string messages;

  conversation_state(std::string_view u, std::string_view typed, const pam_prompts& prompts)
      : user(u), split_mode(prompts.split_code_digits != 0) {
    const auto split = split_mode ? split_password_code(typed, prompts.split_code_digits) : std::nullopt;
    if (split) {
      password.assign(split->password);
      code.assign(split->code);
      has_code = true;
    } else {
      password.assign(typed);
    }
  }
  conversation_state(const conversation_state&) = delete;
  conversation_state& operator=(const conversation_state&) = delete;
  ~conversation_state() {
    OPENSSL_cleanse(password.data(), password.size());
    OPENSSL_cleanse(code.data(), code.size());
  }

  // The answer to the next echo-off prompt, or nullptr when there is none left: one
  // secret per transaction in whole mode, password then code in split mode.
  const std::string* next_secret() {
    const int index = secrets_sent;
    if (index == 0 || (index == 1 && has_code)) {
      ++secrets_sent;
      return index == 0 ? &password : &code;
    }
    extra_prompt_refused = true;
    if (index == 1 && split_mode) code_missing = true;
    return nullptr;
  }

  void note(const char* text) {
    if (text == nullptr || messages.size() >= max_module_messages) return;
    if (!messages.empty()) messages += "; ";
    for (const char* c = text; *c != '\0' && messages.size() < max_module_messages; ++c) {
      const auto byte = static_cast<unsigned char>(*c);
      messages.push_back(byte < 0x20 || byte == 0x7f ? ' ' : *c);  // one log line per event
    }
  }
};

// The one place C allocation is needed: PAM free()s the responses.
char* malloc_copy(const std::string& s) noexcept {
  auto* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out != nullptr) {
    std::memcpy(out, s.data(), s.size());
    out[s.size()] = '\0';
  }
  return out;
}

void free_responses(pam_response* replies, int count) noexcept {
  for (int i = 0; i < count; ++i) {
    if (replies[i].resp != nullptr) {
      OPENSSL_cleanse(replies[i].resp, std::strlen(replies[i].resp));
      std::free(replies[i].resp);
    }
  }
  std::free(replies);
}

// Answers one prompt. Linux-PAM passes msg as an array of pointers.
int answer(conversation_state& state, const pam_message& m, pam_response& reply) {
  switch (m.msg_style) {
    case PAM_PROMPT_ECHO_OFF: {
      // Never resend a secret: a prompt with nothing left to answer fails the stack.
      const std::string* secret = state.next_secret();
      if (secret == nullptr) return PAM_CONV_ERR;
      reply.resp = malloc_copy(*secret);
      return reply.resp != nullptr ? PAM_SUCCESS : PAM_BUF_ERR;
    }
    case PAM_PROMPT_ECHO_ON:
      if (state.user_sent) return PAM_CONV_ERR;
      state.user_sent = true;
      reply.resp = malloc_copy(state.user);
      return reply.resp != nullptr ? PAM_SUCCESS : PAM_BUF_ERR;
    case PAM_ERROR_MSG:
    case PAM_TEXT_INFO:
      state.note(m.msg);  // for the audit log only; the VNC client never sees it
      return PAM_SUCCESS;
    default:
      return PAM_CONV_ERR;  // binary prompts, radio prompts: nothing sensible to answer
  }
}

// Called by libpam (C code): must not throw.
int converse(int count, const pam_message** msgs, pam_response** resp, void* appdata) noexcept {
  if (resp == nullptr) return PAM_CONV_ERR;
  *resp = nullptr;
  if (count <= 0 || count > PAM_MAX_NUM_MSG || msgs == nullptr || appdata == nullptr) return PAM_CONV_ERR;
  auto& state = *static_cast<conversation_state*>(appdata);
  auto* replies = static_cast<pam_response*>(std::calloc(static_cast<std::size_t>(count), sizeof(pam_response)));
  if (replies == nullptr) return PAM_BUF_ERR;
  int status = PAM_SUCCESS;
  try {
    for (int i = 0; i < count && status == PAM_SUCCESS; ++i) {
      status = msgs[i] != nullptr ? answer(state, *msgs[i], replies[i]) : PAM_CONV_ERR;
    }
  } catch (...) {
    status = PAM_BUF_ERR;
  }
  if (status != PAM_SUCCESS) {
    free_responses(replies, count);
    return status;
  }
  *resp = replies;
  return PAM_SUCCESS;
}

// Ends the transaction with the status of the last PAM call, as pam_end(3) asks.
struct pam_transaction {
  pam_handle_t* handle = nullptr;
  int last_status = PAM_SUCCESS;

  pam_transaction() = default;
  pam_transaction(const pam_transaction&) = delete;
  pam_transaction& operator=(const pam_transaction&) = delete;
  ~pam_transaction() {
    if (handle != nullptr) pam_end(handle, last_status);
  }
};

// The mapping from PAM status to outcome. "rejected" is the person's doing (bad
// credentials, account not allowed, expired, must change password, which a VNC client
// cannot do); everything else means the PAM stack or the system failed and an
// administrator must look: PAM_AUTHINFO_UNAVAIL (directory or shadow unreachable),
// PAM_CRED_INSUFFICIENT (the gateway itself lacks the rights to check), PAM_SERVICE_ERR,
// PAM_SYSTEM_ERR, PAM_BUF_ERR, PAM_CONV_ERR, PAM_ABORT, PAM_OPEN_ERR, unknown codes.
outcome classify(int status) noexcept {
  switch (status) {
    case PAM_SUCCESS:
      return outcome::accepted;
    case PAM_AUTH_ERR:
    case PAM_USER_UNKNOWN:
    case PAM_PERM_DENIED:
    case PAM_ACCT_EXPIRED:
    case PAM_AUTHTOK_EXPIRED:
    case PAM_NEW_AUTHTOK_REQD:
    case PAM_MAXTRIES:
      return outcome::rejected;
    default:
      return outcome::error;
  }
}

verdict refusal(pam_handle_t* handle, const char* step, int status, const conversation_state& state) {
  // An unknown user reads exactly like a wrong password, in the log as well.
  const int shown = status == PAM_USER_UNKNOWN ? PAM_AUTH_ERR : status;
  verdict v;
  v.result = classify(status);
  v.detail = std::string(step) + ": " + pam_strerror(handle, shown);
  if (state.code_missing) {
    // Split mode, the stack asked for the code and none was typed: however the module
    // reports the failed prompt (PAM_CONV_ERR, PAM_AUTHINFO_UNAVAIL, ...), this is the
    // person's doing, not a broken stack.
    v.result = outcome::rejected;
    v.detail += " [no one-time code typed]";
  } else if (state.extra_prompt_refused) {
    v.detail += state.split_mode ? " [a third password prompt was refused]"
                                 : " [a second password prompt was refused: does the stack need split prompts?]";
  }
  if (!state.messages.empty()) v.detail += " (" + state.messages + ")";
  return v;
}

// Calls a getXXX_r function, growing its scratch buffer on ERANGE.
template <class Call>
bool with_nss_buffer(Call call, long size_hint) {
  std::vector<char> buffer(size_hint > 0 ? static_cast<std::size_t>(size_hint) : 1024);
  for (;;) {
    const int e = call(buffer);
    if (e != ERANGE || buffer.size() >= max_nss_buffer) return e == 0;
    buffer.resize(buffer.size() * 2);
  }
}

// Group names from NSS; empty when NSS does not know the user.
std::vector<std::string> nss_groups(const std::string& user) {
  passwd pw{};
  passwd* pw_found = nullptr;
  gid_t primary = 0;
  const bool ok = with_nss_buffer(
      [&](std::vector<char>& buf) {
        const int e = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pw_found);
        if (e == 0 && pw_found != nullptr) primary = pw.pw_gid;  // buf dies after the call
        return e;
      },
      sysconf(_SC_GETPW_R_SIZE_MAX));
  if (!ok || pw_found == nullptr) return {};

  std::vector<gid_t> gids(32);
  for (;;) {
    int n = static_cast<int>(gids.size());
    if (getgrouplist(user.c_str(), primary, gids.data(), &n) >= 0) {
      gids.resize(static_cast<std::size_t>(n));
      break;
    }
    // n now holds the number needed (glibc); grow at least twofold in any case.
    const int wanted = std::max(n, static_cast<int>(gids.size()) * 2);
    if (wanted > max_groups) return {};
    gids.resize(static_cast<std::size_t>(wanted));
  }

  std::vector<std::string> names;
  for (const gid_t gid : gids) {
    group gr{};
    group* gr_found = nullptr;
    std::string name;
    with_nss_buffer(
        [&](std::vector<char>& buf) {
          const int e = getgrgid_r(gid, &gr, buf.data(), buf.size(), &gr_found);
          if (e == 0 && gr_found != nullptr && gr.gr_name != nullptr) name = gr.gr_name;
          return e;
        },
        sysconf(_SC_GETGR_R_SIZE_MAX));
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

}  // namespace

pam_backend::pam_backend(std::string service, pam_prompts prompts)
    : service_(std::move(service)), prompts_(prompts) {}

namespace {
extern "C" void skip_fail_delay(int, unsigned, void*) {}
}  // namespace

verdict pam_backend::check(std::string_view user, std::string_view password, std::string_view remote_host) const {
  // C strings cannot carry these; a NUL would silently cut the name or password short.
  if (user.empty() || user.find('\0') != std::string_view::npos || password.find('\0') != std::string_view::npos) {
    return verdict{outcome::rejected, {}, "pam: user name empty or user name or password holds a NUL byte"};
  }

  // Declared before the transaction so that both outlive pam_end.
  conversation_state state(user, password, prompts_);
  const pam_conv conv{&converse, &state};
  pam_transaction pam;

  int status = pam_start(service_.c_str(), state.user.c_str(), &conv, &pam.handle);
  if (status != PAM_SUCCESS) {
    pam.last_status = status;
    return verdict{outcome::error, {}, std::string("pam_start: ") + pam_strerror(pam.handle, status)};
  }

  // Modules such as pam_unix sleep ~2 s after a failure; that would hold a thread of
  // the bounded auth pool. The gateway applies its own failure delay without a thread.
  pam_set_item(pam.handle, PAM_FAIL_DELAY, reinterpret_cast<const void*>(&skip_fail_delay));
  // Where the person connects from, for modules that decide on it (pam_access).
  const std::string rhost(remote_host);
  if (!rhost.empty() && rhost.find('\0') == std::string::npos) pam_set_item(pam.handle, PAM_RHOST, rhost.c_str());

  status = pam_authenticate(pam.handle, PAM_DISALLOW_NULL_AUTHTOK);
  pam.last_status = status;
  if (status != PAM_SUCCESS) return refusal(pam.handle, "pam_authenticate", status, state);

  status = pam_acct_mgmt(pam.handle, PAM_DISALLOW_NULL_AUTHTOK);
  pam.last_status = status;
  if (status != PAM_SUCCESS) return refusal(pam.handle, "pam_acct_mgmt", status, state);

  // The stack may have mapped the name (e.g. case folding, pam_sss short names).
  std::string final_user = state.user;
  const void* item = nullptr;
  if (pam_get_item(pam.handle, PAM_USER, &item) == PAM_SUCCESS && item != nullptr) {
    const auto* name = static_cast<const char*>(item);
    if (*name != '\0') final_user = name;
  }

  verdict v;
  v.result = outcome::accepted;
  v.detail = "pam: accepted";
  if (!state.messages.empty()) v.detail += " (" + state.messages + ")";
  v.who.groups = nss_groups(final_user);
  v.who.user = std::move(final_user);
  return v;
}

}  // namespace vncgate::auth
