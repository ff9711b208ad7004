# The container image (deploy/container/Containerfile) built and run with podman:
# build_test_image.sh makes the image from this build's vncgate (fixture vncgate_image),
# image_test.cpp runs it. ctest label `image`; only in the plain build (deploy/test.sh
# turns VNCGATE_IMAGE_TESTS off for --sanitize: the image carries a release binary).
# The tools come from deploy/install-deps.sh image (in test); a missing one fails the
# fixture rather than skipping it. Included from deploy_tests.cmake.
option(VNCGATE_IMAGE_TESTS "Build and run the container image with podman (ctest label image)" ON)
if(NOT VNCGATE_IMAGE_TESTS)
  return()
endif()

set(vncgate_test_image localhost/vncgate:ctest)

add_test(NAME deploy_image_build
  COMMAND bash ${deploy_tests_dir}/build_test_image.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}
          ${vncgate_test_image} ${PROJECT_VERSION})
# The first run on a machine makes the base image with mmdebstrap (minutes); later runs
# reuse it and the runtime layer from podman's store.
set_tests_properties(deploy_image_build PROPERTIES LABELS image TIMEOUT 900 FIXTURES_SETUP vncgate_image)

add_executable(deploy_image_test ${deploy_tests_dir}/image_test.cpp ${PROJECT_SOURCE_DIR}/tests/e2e/failure_report.cpp)
target_link_libraries(deploy_image_test PRIVATE catch_main e2e_harness)
target_compile_definitions(deploy_image_test PRIVATE
  VNCGATE_TEST_IMAGE="${vncgate_test_image}" VNCGATE_VERSION="${PROJECT_VERSION}")
# The fixture installs the binary into the image, so the image test needs it built.
add_dependencies(deploy_image_test vncgate)
catch_discover_tests(deploy_image_test EXTRA_ARGS --warn NoTests
  PROPERTIES LABELS image TIMEOUT 180 FIXTURES_REQUIRED vncgate_image)
