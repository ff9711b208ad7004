# pam_tests.cmake — the PAM backend against real libpam under pam_wrapper.
#
# pam_wrapper (LD_PRELOAD) redirects pam_start to service files in our build tree, so
# neither /etc/pam.d nor any system user is touched. pam_matrix checks passwords from a
# plain-text passdb; pam_debug returns any PAM status we ask for; pam_echo talks.
# Included from tests/CMakeLists.txt; skipped with a message if pam_wrapper is absent.

find_library(PAM_WRAPPER_LIBRARY pam_wrapper)
find_file(PAM_MATRIX_MODULE pam_matrix.so
  PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/pam_wrapper /usr/lib/pam_wrapper /usr/lib64/pam_wrapper
  NO_DEFAULT_PATH)
if(NOT PAM_WRAPPER_LIBRARY OR NOT PAM_MATRIX_MODULE)
  message(STATUS "pam_wrapper or pam_matrix.so not found: PAM tests skipped (apt-get install libpam-wrapper)")
  return()
endif()

# pam_wrapper copies the service directory when the process starts, so every file
# must exist before any test runs: write them now, at configure time.
set(pam_testbed ${CMAKE_CURRENT_BINARY_DIR}/pamtest)
set(pam_services ${pam_testbed}/services)
file(REMOVE_RECURSE ${pam_services})

# user:password:the one service pam_matrix's account check allows
file(WRITE ${pam_testbed}/passdb
  "alice:s3cret:vncgw\n"
  "carol:pa55word:vncgw\n"
  "bob:hunter2:some-other-service\n"
  "root:r00tpw:vncgw\n")

set(matrix "${PAM_MATRIX_MODULE} passdb=${pam_testbed}/passdb")
file(WRITE ${pam_services}/vncgw
  "auth     required  ${matrix}\n"
  "account  required  ${matrix}\n")
# Unknown service names fall back to "other": deny, as Debian's default does.
file(WRITE ${pam_services}/other
  "auth     required  pam_deny.so\n"
  "account  required  pam_deny.so\n")
# A module that tells the user something before the password check.
file(WRITE ${pam_services}/vncgw-echo
  "auth     optional  pam_echo.so hello from pam_echo\n"
  "auth     required  ${matrix}\n"
  "account  required  pam_permit.so\n")
# A stack that maps the user name after checking the password: pam_set_items copies
# the PAM_USER environment variable into the PAM_USER item.
get_filename_component(pam_wrapper_modules ${PAM_MATRIX_MODULE} DIRECTORY)
file(WRITE ${pam_services}/vncgw-rename
  "auth     required  ${matrix}\n"
  "auth     required  ${pam_wrapper_modules}/pam_set_items.so\n"
  "account  required  pam_permit.so\n")
# Two password prompts in one stack (what a separate OTP prompt would look like).
file(WRITE ${pam_services}/vncgw-two-prompts
  "auth     required  ${matrix}\n"
  "auth     required  ${matrix}\n"
  "account  required  ${matrix}\n")
# Split prompts without an OTP module: pam_matrix asks twice, once against the password
# passdb, once against a passdb holding alice's "code". The three-prompt stacks ask a
# third time for what was already sent; the conversation must refuse, never resend.
file(WRITE ${pam_testbed}/passdb-code "alice:123456:vncgw\n")
set(matrix_code "${PAM_MATRIX_MODULE} passdb=${pam_testbed}/passdb-code")
file(WRITE ${pam_services}/vncgw-split
  "auth     required  ${matrix}\n"
  "auth     required  ${matrix_code}\n"
  "account  required  pam_permit.so\n")
file(WRITE ${pam_services}/vncgw-split-third-password
  "auth     required  ${matrix}\n"
  "auth     required  ${matrix_code}\n"
  "auth     required  ${matrix}\n"
  "account  required  pam_permit.so\n")
file(WRITE ${pam_services}/vncgw-split-third-code
  "auth     required  ${matrix}\n"
  "auth     required  ${matrix_code}\n"
  "auth     required  ${matrix_code}\n"
  "account  required  pam_permit.so\n")
# pam_access decides on PAM_RHOST, the client's address the gateway sets: refuse a
# documentation network, admit the rest.
file(WRITE ${pam_testbed}/access.conf
  "-:ALL:192.0.2.0/24 2001:db8::/32\n"
  "+:ALL:ALL\n")
file(WRITE ${pam_services}/vncgw-access
  "auth     required  ${matrix}\n"
  "account  required  pam_access.so accessfile=${pam_testbed}/access.conf nodefgroup\n")
# A module that cannot be loaded: a broken installation.
file(WRITE ${pam_services}/vncgw-broken
  "auth     required  /nonexistent/pam_vncgate_missing.so\n"
  "account  required  pam_permit.so\n")
# One service per PAM status, from pam_authenticate and from pam_acct_mgmt.
foreach(code success auth_err user_unknown perm_denied acct_expired authtok_expired
             new_authtok_reqd maxtries cred_insufficient authinfo_unavail service_err
             system_err buf_err conv_err abort)
  file(WRITE ${pam_services}/debug-auth-${code}
    "auth     required  pam_debug.so auth=${code}\n"
    "account  required  pam_permit.so\n")
  file(WRITE ${pam_services}/debug-acct-${code}
    "auth     required  pam_permit.so\n"
    "account  required  pam_debug.so acct=${code}\n")
endforeach()

# pam_oath (libpam-oath) for MFA in the PAM stack, with the one-time code checked by the
# real module. pam_oath rewrites its usersfile after every accepted code (replay
# protection) and takes a lock file beside it, so every test case gets its own service
# naming its own usersfile in its own writable directory; the test writes the file
# fresh before each case (ctest -j2 runs cases in parallel). pam_oath looks the user up
# in NSS first, so these stacks log in as root (passdb: r00tpw).
find_file(PAM_OATH_MODULE pam_oath.so
  PATHS /lib/${CMAKE_LIBRARY_ARCHITECTURE}/security /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/security
        /lib/security /usr/lib64/security
  NO_DEFAULT_PATH)
find_program(OATHTOOL_PROGRAM oathtool)
set(pam_oath_services_written FALSE)
if(NOT PAM_OATH_MODULE OR NOT OATHTOOL_PROGRAM)
  message(STATUS "pam_oath.so or oathtool not found: pam_oath tests skipped (apt-get install libpam-oath oathtool)")
else()
  set(pam_oath_testbed ${pam_testbed}/oath)
  file(REMOVE_RECURSE ${pam_oath_testbed})
  # pam_matrix never reads PAM_AUTHTOK (it always prompts), so it cannot stand in for
  # pam_unix use_first_pass behind pam_oath. pam_exec expose_authtok does read it (it
  # prompts only when it is unset): the checker gets the password on stdin. pam_exec
  # says PAM_SYSTEM_ERR when the checker exits non-zero, so the stack turns that into
  # pam_deny's PAM_AUTH_ERR, as pam_unix would answer.
  file(WRITE ${pam_oath_testbed}/passwords "root:r00tpw\n")
  file(WRITE ${pam_oath_testbed}/check-password
    "#!/bin/sh\n"
    "# pam_exec expose_authtok: the password on stdin, NUL-terminated.\n"
    "password=$(/usr/bin/tr -d '\\000')\n"
    "exec /bin/grep -qxF -e \"$PAM_USER:$password\" ${pam_oath_testbed}/passwords\n")
  file(CHMOD ${pam_oath_testbed}/check-password PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
       GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  set(pam_oath_cases accepted_once wrong_code wrong_password missing_code old_code other_mode)
  foreach(case ${pam_oath_cases})
    # a. "joined": password+code in one prompt. pam_oath goes first and prompts (no
    #    use_first_pass: nothing has set PAM_AUTHTOK yet), cuts digits=6 off the end
    #    and leaves the rest in PAM_AUTHTOK for the password module. Whole mode.
    set(dir ${pam_oath_testbed}/joined-${case})
    file(MAKE_DIRECTORY ${dir})
    file(WRITE ${pam_services}/oath-joined-${case}
      "auth     requisite  ${PAM_OATH_MODULE} usersfile=${dir}/users.oath window=1 digits=6\n"
      "auth     [success=1 default=ignore]  pam_exec.so quiet expose_authtok ${pam_oath_testbed}/check-password\n"
      "auth     requisite  pam_deny.so\n"
      "auth     required   pam_permit.so\n"
      "account  required   pam_permit.so\n")
    # b. "prompts": the password module prompts, then pam_oath prompts for the code.
    #    Split mode.
    set(dir ${pam_oath_testbed}/prompts-${case})
    file(MAKE_DIRECTORY ${dir})
    file(WRITE ${pam_services}/oath-prompts-${case}
      "auth     requisite  ${matrix}\n"
      "auth     required   ${PAM_OATH_MODULE} usersfile=${dir}/users.oath window=1 digits=6\n"
      "account  required   pam_permit.so\n")
  endforeach()
  set(pam_oath_services_written TRUE)
endif()

# ctest's ENVIRONMENT property loses all but the first variable when it passes through
# catch_discover_tests, so the test runs through env(1) as its "emulator" instead.
set(pam_preload ${PAM_WRAPPER_LIBRARY})
set(pam_extra_env)
if(VNCGATE_SANITIZE)
  # ASan must be the first library loaded, and pam_wrapper's RTLD_DEEPBIND dlopen
  # clashes with ASan's interceptors.
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
    OUTPUT_VARIABLE pam_libasan OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(pam_preload "${pam_libasan}:${PAM_WRAPPER_LIBRARY}")
  set(pam_extra_env PAM_WRAPPER_DISABLE_DEEPBIND=1)
endif()

add_executable(pam_backend_test ${CMAKE_CURRENT_LIST_DIR}/pam_backend_test.cpp)
target_link_libraries(pam_backend_test PRIVATE catch_main vncgate_auth Threads::Threads)
set_property(TARGET pam_backend_test PROPERTY CROSSCOMPILING_EMULATOR
  /usr/bin/env LD_PRELOAD=${pam_preload} PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=${pam_services}
  ${pam_extra_env})
# RESOURCE_LOCK: see tests/e2e/e2e_tests.cmake (pam_wrapper's start-up race).
catch_discover_tests(pam_backend_test EXTRA_ARGS --warn NoTests PROPERTIES RESOURCE_LOCK pam_wrapper)

if(pam_oath_services_written)
  set(pam_oath_extra_env)
  if(VNCGATE_SANITIZE)
    # pam_oath keeps the conversation's answer (resp, resp->resp) and never frees it:
    # its leak, not ours. The test keeps pam_oath.so loaded so the leak's stack names
    # the module, and only allocations made under pam_oath.so are let go.
    file(WRITE ${pam_oath_testbed}/lsan.supp "leak:pam_oath.so\n")
    set(pam_oath_extra_env LSAN_OPTIONS=suppressions=${pam_oath_testbed}/lsan.supp)
  endif()
  add_executable(pam_oath_test ${CMAKE_CURRENT_LIST_DIR}/pam_oath_test.cpp)
  target_link_libraries(pam_oath_test PRIVATE catch_main vncgate_auth ${CMAKE_DL_LIBS})
  set_property(TARGET pam_oath_test PROPERTY CROSSCOMPILING_EMULATOR
    /usr/bin/env LD_PRELOAD=${pam_preload} PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=${pam_services}
    ${pam_extra_env} ${pam_oath_extra_env} VNCGATE_OATH_TESTBED=${pam_oath_testbed}
    VNCGATE_OATHTOOL=${OATHTOOL_PROGRAM} VNCGATE_PAM_OATH_MODULE=${PAM_OATH_MODULE})
  catch_discover_tests(pam_oath_test EXTRA_ARGS --warn NoTests PROPERTIES RESOURCE_LOCK pam_wrapper)
endif()
