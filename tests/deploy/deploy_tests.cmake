# Deploy artefacts checked by the tools that read them: the systemd unit by
# systemd-analyze, the Grafana dashboard's queries by promtool and against the metric
# names gateway/metrics.cpp declares. Included from tests/CMakeLists.txt; the tools come
# from deploy/install-deps.sh test (systemd, prometheus).
set(deploy_tests_dir ${CMAKE_CURRENT_LIST_DIR})

find_program(PROMTOOL_PROGRAM promtool)
if(NOT PROMTOOL_PROGRAM)
  message(STATUS "promtool not found: dashboard tests skipped (apt-get install prometheus)")
else()
  add_executable(deploy_dashboard_test ${deploy_tests_dir}/dashboard_test.cpp)
  target_link_libraries(deploy_dashboard_test PRIVATE catch_main Boost::json)
  target_compile_definitions(deploy_dashboard_test PRIVATE
    VNCGATE_DASHBOARD_JSON="${PROJECT_SOURCE_DIR}/deploy/grafana/vncgate-dashboard.json"
    VNCGATE_METRICS_SOURCE="${PROJECT_SOURCE_DIR}/gateway/metrics.cpp"
    VNCGATE_PROMTOOL="${PROMTOOL_PROGRAM}")
  catch_discover_tests(deploy_dashboard_test EXTRA_ARGS --warn NoTests PROPERTIES LABELS deploy)
endif()

find_program(SYSTEMD_ANALYZE_PROGRAM systemd-analyze)
if(NOT SYSTEMD_ANALYZE_PROGRAM)
  message(STATUS "systemd-analyze not found: systemd unit test skipped (apt-get install systemd)")
else()
  add_test(NAME deploy_systemd_unit
    COMMAND bash ${deploy_tests_dir}/verify_systemd_unit.sh ${SYSTEMD_ANALYZE_PROGRAM}
            ${PROJECT_SOURCE_DIR}/deploy/systemd/vncgate.service $<TARGET_FILE:vncgate>)
  set_tests_properties(deploy_systemd_unit PROPERTIES LABELS deploy)
endif()

# The Kubernetes manifests (deploy/kubernetes) against the Kubernetes OpenAPI schemas,
# vncgate's rules and `vncgate check-config`, offline. Registered whether or not node
# is installed: without node and npm (deploy/install-deps.sh kubernetes) it fails.
add_test(NAME deploy_kubernetes_manifests
  COMMAND bash ${deploy_tests_dir}/kubernetes/run.sh $<TARGET_FILE:vncgate>
          ${CMAKE_CURRENT_BINARY_DIR}/kubernetes-manifests)
set_tests_properties(deploy_kubernetes_manifests PROPERTIES LABELS deploy TIMEOUT 300)

include(${deploy_tests_dir}/image_tests.cmake)
