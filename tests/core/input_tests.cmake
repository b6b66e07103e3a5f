# Inputs (issue #3): one file per source plus the embedding.
target_sources(attnscope_core_tests PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/test_input_text.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_input_image.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_input_embedding.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_input_synthetic.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_input_npy.cpp
)
