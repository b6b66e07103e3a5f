# The desktop window (Qt 6 Widgets + QCustomPlot): panels, workers, the main window, runGui().
# Included from app/CMakeLists.txt after headless.cmake (which brings the figure builders).
find_package(Qt6 REQUIRED COMPONENTS Widgets)
set(_gui ${CMAKE_CURRENT_SOURCE_DIR}/gui)
target_sources(attnscope_app PRIVATE
  ${_gui}/gui_main.h ${_gui}/gui_main.cpp
  ${_gui}/job_runner.h ${_gui}/job_runner.cpp
  ${_gui}/analysis_state.h ${_gui}/analysis_state.cpp
  ${_gui}/sweep.h ${_gui}/sweep.cpp
  ${_gui}/sweep_figure.h ${_gui}/sweep_figure.cpp
  ${_gui}/explorer_controller.h ${_gui}/explorer_controller.cpp
  ${_gui}/maps_update.h ${_gui}/maps_update.cpp
  ${_gui}/maps_panel.h ${_gui}/maps_panel.cpp
  ${_gui}/input_view.h ${_gui}/input_view.cpp
  ${_gui}/figure_panel.h ${_gui}/figure_panel.cpp
  ${_gui}/mixing_editor.h ${_gui}/mixing_editor.cpp
  ${_gui}/float_spin_box.h ${_gui}/float_spin_box.cpp
  ${_gui}/uint64_spin_box.h ${_gui}/uint64_spin_box.cpp
  ${_gui}/controls_panel.h ${_gui}/controls_panel.cpp
  ${_gui}/metrics_help.h ${_gui}/metrics_help.cpp
  ${_gui}/presets.h ${_gui}/presets.cpp
  ${_gui}/file_actions.h ${_gui}/file_actions.cpp
  ${_gui}/main_window.h ${_gui}/main_window.cpp
)
target_link_libraries(attnscope_app PUBLIC Qt6::Widgets)
