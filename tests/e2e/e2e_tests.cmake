# End-to-end tests: the vncgate binary between real peers on loopback — TigerVNC Xvnc
# as the target desktop, libvncclient and TigerVNC vncviewer (under Xvfb) as users,
# socat for TLS-first listeners, pam_wrapper + pam_matrix for PAM. Included from
# tests/CMakeLists.txt; needs deploy/install-deps.sh test (socat, xdotool, xclip among them).
# New *_test.cpp files here are picked up by the glob below.
find_package(PkgConfig REQUIRED)
pkg_check_modules(VNCCLIENT REQUIRED IMPORTED_TARGET libvncclient)

set(e2e_dir ${CMAKE_CURRENT_LIST_DIR})
file(GLOB e2e_harness_sources CONFIGURE_DEPENDS ${e2e_dir}/harness/*.cpp)
file(GLOB e2e_test_sources CONFIGURE_DEPENDS ${e2e_dir}/*.cpp)

# The harness builds without the gateway, so it can be checked against Xvnc alone.
add_library(e2e_harness STATIC ${e2e_harness_sources})
target_include_directories(e2e_harness PUBLIC ${e2e_dir})
target_compile_definitions(e2e_harness PRIVATE VNCGATE_BINARY="$<TARGET_FILE:vncgate>")
target_link_libraries(e2e_harness PUBLIC
  PkgConfig::VNCCLIENT Boost::json OpenSSL::SSL OpenSSL::Crypto Threads::Threads)

add_executable(e2e_test ${e2e_test_sources})
target_link_libraries(e2e_test PRIVATE catch_main e2e_harness)
target_compile_definitions(e2e_test PRIVATE VNCGATE_VERSION="${PROJECT_VERSION}" CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER)
add_dependencies(e2e_test vncgate)
# Each TEST_CASE is one ctest test; they pick their own ports, displays and temp dirs,
# so `ctest -j` is safe.
# pam_wrapper picks its runtime directory /tmp/pam.<one letter> racily (lstat, then
# mkdir; a directory whose pid file is not written yet looks stale to a second process
# and is removed under the first), so processes under pam_wrapper never start together:
# every test that runs one holds the pam_wrapper resource lock.
catch_discover_tests(e2e_test TEST_SPEC "[e2e]~[pam]" EXTRA_ARGS --warn NoTests PROPERTIES LABELS e2e TIMEOUT 120)
catch_discover_tests(e2e_test TEST_SPEC "[e2e][pam]" EXTRA_ARGS --warn NoTests
  PROPERTIES LABELS e2e TIMEOUT 120 RESOURCE_LOCK pam_wrapper)
