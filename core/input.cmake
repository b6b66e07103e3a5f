# Inputs (issue #3): images, text, synthetic data and .npy Q/K/V → tokens → per-head Q/K/V.
target_sources(attnscope_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/rgb_image.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/tokens.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/utf8.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/text_tokenizer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/patch_grid.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/image_features.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/text_features.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/positional.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/embedding.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/image_input.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/text_input.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/synthetic_input.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/input/npy_input.cpp
)
