# Session model, analysis pipeline, figure builders and the `attnscope` executable with its
# headless subcommands (compute, render, bench, info). Included from app/CMakeLists.txt.
find_package(Qt6 REQUIRED COMPONENTS Widgets PrintSupport Svg)
find_package(QCustomPlotQt6 REQUIRED)
set_package_properties(QCustomPlotQt6 PROPERTIES TYPE REQUIRED PURPOSE "Plots and figures (app/figures)")

target_sources(attnscope_app PRIVATE
  session/session.h
  session/session.cpp
  session/session_rules.cpp
  model/results.h
  model/results_json.h
  model/results_json.cpp
  model/backend_registry.h
  model/backend_registry.cpp
  model/pipeline.h
  model/pipeline.cpp
  model/timing_comparison.h
  model/timing_comparison.cpp
  figures/colormaps.h
  figures/colormaps.cpp
  figures/figure_style.h
  figures/figure_style.cpp
  figures/token_text_element.h
  figures/token_text_element.cpp
  figures/table_element.h
  figures/table_element.cpp
  figures/maps_figure.h
  figures/maps_figure.cpp
  figures/mixing_figure.h
  figures/mixing_figure.cpp
  figures/spectra_figure.h
  figures/spectra_figure.cpp
  figures/timing_figure.h
  figures/timing_figure.cpp
  figures/metrics_figure.h
  figures/metrics_figure.cpp
  figures/figure_composer.h
  figures/figure_composer.cpp
  cli/args.h
  cli/args.cpp
  cli/progress.h
  cli/progress.cpp
  cli/session_options.h
  cli/session_options.cpp
  cli/commands.h
  cli/cuda_report.h
  cli/cuda_report.cpp
  cli/cli.cpp
  cli/cmd_compute.cpp
  cli/cmd_render.cpp
  cli/cmd_bench.cpp
  cli/cmd_info.cpp
  cli/cmd_gui.cpp
)
target_link_libraries(attnscope_app PUBLIC
  Qt6::Widgets Qt6::PrintSupport Qt6::Svg QCustomPlotQt6::QCustomPlotQt6)
# The CUDA backend, when gpu/ was built (the top level adds gpu/ before app/).
if(TARGET attnscope_gpu)
  target_link_libraries(attnscope_app PUBLIC attnscope_gpu)
endif()
target_compile_definitions(attnscope_app PRIVATE
  ATTNSCOPE_VERSION="${PROJECT_VERSION}"
  $<$<BOOL:${ATTNSCOPE_NATIVE}>:ATTNSCOPE_NATIVE_BUILD>
  $<$<BOOL:${ATTNSCOPE_HAVE_CUDA}>:ATTNSCOPE_HAVE_CUDA>)

add_executable(attnscope ${CMAKE_CURRENT_SOURCE_DIR}/main.cpp)
target_link_libraries(attnscope PRIVATE attnscope_app attnscope_options)
