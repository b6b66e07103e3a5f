# CudaPluginLoads (tests/install/CMakeLists.txt). Arguments: ATTNSCOPE PLUGIN STUB WORK.
# 1. Without a driver library the plugin is not opened: info names the missing driver.
# 2. With the stub driver as libcuda.so.1 the program opens the plugin next to itself, and the
#    plugin's CUDA runtime answers (its version, the compiled architectures, the stub's refusal).
# 3. A plugin that is not one (any other library) is refused by name, and the program still runs.
cmake_minimum_required(VERSION 3.24)
set(ENV{QT_QPA_PLATFORM} offscreen)
unset(ENV{ATTNSCOPE_CUDA_PLUGIN})
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

execute_process(COMMAND "${ATTNSCOPE}" info OUTPUT_VARIABLE plain RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "attnscope info failed (${rc})")
endif()

file(CREATE_LINK "${STUB}" "${WORK}/libcuda.so.1" SYMBOLIC)
set(ENV{LD_LIBRARY_PATH} "${WORK}:$ENV{LD_LIBRARY_PATH}")
execute_process(COMMAND "${ATTNSCOPE}" info OUTPUT_VARIABLE stub RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "attnscope info with the stub driver failed (${rc}):\n${stub}")
endif()
string(FIND "${stub}" "plugin                 ${PLUGIN}" at)
if(at EQUAL -1 OR NOT stub MATCHES "CUDA runtime +[0-9]+\\.[0-9]" OR NOT stub MATCHES "compiled for +[0-9]")
  message(FATAL_ERROR "the plugin was not opened, or did not answer, with a driver library present:\n${stub}")
endif()
if(NOT stub MATCHES "why: [^\n]*[Ss]tub")
  message(FATAL_ERROR "the stub driver's refusal is not the reason given:\n${stub}")
endif()

set(ENV{ATTNSCOPE_CUDA_PLUGIN} "${STUB}")  # a library without attnscope_cuda_plugin()
execute_process(COMMAND "${ATTNSCOPE}" info OUTPUT_VARIABLE wrong RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT wrong MATCHES "not an attnscope CUDA plugin")
  message(FATAL_ERROR "a foreign library as plugin was not refused by name (${rc}):\n${wrong}")
endif()
if(plain MATCHES "libcuda.so.1 cannot be loaded")
  message(STATUS "without a driver library: not opened, as expected")
elseif(NOT plain MATCHES "plugin ")
  message(FATAL_ERROR "without the stub, info neither opened the plugin nor named the driver:\n${plain}")
endif()
message(STATUS "plugin opened with the stub driver; foreign library refused")
