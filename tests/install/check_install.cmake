# InstallTree (tests/install/CMakeLists.txt): installs the build into PREFIX and checks what is there.
# Arguments: BUILD_DIR PREFIX GUI CUDA_PLUGIN (target name or empty) ICON_SIZES (comma-separated)
#            DESKTOP_FILE_VALIDATE APPSTREAMCLI
cmake_minimum_required(VERSION 3.24)
set(failures 0)
macro(fail msg)
  message(SEND_ERROR "FAIL: ${msg}")
  math(EXPR failures "${failures} + 1")
endmacro()
function(run_checked out_var)  # run_checked(VAR COMMAND...): stdout into VAR; a non-zero exit fails
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(SEND_ERROR "FAIL: '${cmd}' exited with ${rc}:\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${PREFIX}")
run_checked(log ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}")

# --- every file of the package --------------------------------------------------------------
set(app io.github.attnscope.attnscope)
set(expected
  bin/attnscope
  share/man/man1/attnscope.1
  share/bash-completion/completions/attnscope
  share/doc/attnscope/README.md
  share/doc/attnscope/docs/math.md
  share/doc/attnscope/docs/cli.md
  share/attnscope/models/text/config.json
  share/attnscope/models/text/model.safetensors
  share/attnscope/models/text/vocab.json
  share/attnscope/models/text/merges.txt
  share/attnscope/models/image/config.json
  share/attnscope/models/image/preprocessor_config.json
  share/attnscope/models/image/model.safetensors
  share/attnscope/models/image/sample.png)
if(GUI)
  list(APPEND expected
    share/applications/${app}.desktop
    share/metainfo/${app}.metainfo.xml
    share/mime/packages/attnscope.xml
    share/icons/hicolor/scalable/apps/attnscope.svg)
  string(REPLACE "," ";" sizes "${ICON_SIZES}")
  foreach(size IN LISTS sizes)
    list(APPEND expected share/icons/hicolor/${size}x${size}/apps/attnscope.png)
  endforeach()
endif()
if(CUDA_PLUGIN)
  file(GLOB_RECURSE plugin RELATIVE "${PREFIX}" "${PREFIX}/lib*/attnscope/libattnscope_cuda.so")
  if(NOT plugin)
    fail("the CUDA plugin libattnscope_cuda.so is not under ${PREFIX}/lib*/attnscope")
  endif()
endif()
foreach(f IN LISTS expected)
  if(NOT EXISTS "${PREFIX}/${f}")
    fail("${f} is not installed")
  endif()
endforeach()
list(LENGTH expected n)
message(STATUS "${n} files checked under ${PREFIX}")

# --- the icons are PNGs of the size their folder names -----------------------------------------
if(GUI)
  foreach(size IN LISTS sizes)
    set(png "${PREFIX}/share/icons/hicolor/${size}x${size}/apps/attnscope.png")
    if(EXISTS "${png}")
      file(READ "${png}" head LIMIT 24 HEX)
      # PNG signature, then the IHDR chunk: width and height as 32-bit big-endian at bytes 16..23.
      string(SUBSTRING "${head}" 0 16 signature)
      string(SUBSTRING "${head}" 32 8 w)
      string(SUBSTRING "${head}" 40 8 h)
      math(EXPR w "0x${w}")
      math(EXPR h "0x${h}")
      if(NOT signature STREQUAL "89504e470d0a1a0a" OR NOT w EQUAL size OR NOT h EQUAL size)
        fail("${png}: not a ${size}x${size} PNG (${w}x${h})")
      endif()
    endif()
  endforeach()
endif()

# --- desktop file and AppStream metadata validate -----------------------------------------------
if(GUI)
  if(NOT DESKTOP_FILE_VALIDATE OR NOT APPSTREAMCLI)
    fail("desktop-file-validate or appstreamcli not found (apt install desktop-file-utils appstream)")
  else()
    run_checked(out "${DESKTOP_FILE_VALIDATE}" "${PREFIX}/share/applications/${app}.desktop")
    run_checked(out "${APPSTREAMCLI}" validate --no-net "${PREFIX}/share/metainfo/${app}.metainfo.xml")
    file(READ "${PREFIX}/share/applications/${app}.desktop" desktop)
    if(NOT desktop MATCHES "\nCategories=Education;Science;DataVisualization;\n" OR
       NOT desktop MATCHES "application/x-attnscope-session")
      fail("the desktop file lacks its categories or the session MIME type")
    endif()
    file(READ "${PREFIX}/share/mime/packages/attnscope.xml" mime)
    if(NOT mime MATCHES "type=\"application/x-attnscope-session\"")
      fail("the shared-mime-info file does not define application/x-attnscope-session")
    endif()
  endif()
endif()

# --- the installed program runs, headless --------------------------------------------------------
set(exe "${PREFIX}/bin/attnscope")
set(ENV{QT_QPA_PLATFORM} offscreen)
unset(ENV{ATTNSCOPE_CUDA_PLUGIN})  # the installed program finds its own plugin (or says why not)
unset(ENV{ATTNSCOPE_SAMPLE_MODELS})  # and its own sample models
run_checked(info "${exe}" info)
if(NOT info MATCHES "backends:" OR NOT info MATCHES "cuda +unavailable|cuda +available")
  fail("'attnscope info' from the install tree says no backends:\n${info}")
endif()
if(CUDA_PLUGIN AND info MATCHES "plugin [^\n]*is not installed")
  fail("the installed program does not find its installed CUDA plugin:\n${info}")
endif()
run_checked(out "${exe}" render --sample text --panels maps --out "${PREFIX}/render.png")
if(NOT EXISTS "${PREFIX}/render.png")
  fail("the installed program's render wrote no PNG")
endif()
# The installed program finds its installed sample models (share/attnscope/models beside bin/).
file(REAL_PATH "${PREFIX}" real_prefix)
foreach(m text image)
  if(NOT info MATCHES "\n  ${m} +(${PREFIX}|${real_prefix})/share/attnscope/models/${m}\n")
    fail("'attnscope info' from the install tree does not name the installed ${m} sample model:\n${info}")
  endif()
  run_checked(out "${exe}" render --sample-model ${m} --panels maps --out "${PREFIX}/sample-${m}.png")
  if(NOT EXISTS "${PREFIX}/sample-${m}.png")
    fail("the installed program's render --sample-model ${m} wrote no PNG")
  endif()
endforeach()

# --- the man page and completion cover every command and option of the help texts ---------------
file(READ "${PREFIX}/share/man/man1/attnscope.1" man)
file(READ "${PREFIX}/share/bash-completion/completions/attnscope" completion)
run_checked(top "${exe}" --help)
string(REGEX MATCHALL "\n  attnscope [a-z]+" lines "${top}")
set(commands)
foreach(l IN LISTS lines)
  string(REGEX REPLACE "\n  attnscope " "" c "${l}")
  list(APPEND commands ${c})
endforeach()
list(REMOVE_DUPLICATES commands)
list(LENGTH commands ncommands)
if(ncommands LESS 5)
  fail("'attnscope --help' names ${ncommands} commands (${commands}); expected compute, render, bench, info, gui")
endif()
set(noptions 0)
foreach(c IN LISTS commands)
  if(NOT man MATCHES "\\.SS \"attnscope ${c}\"")
    fail("the man page has no section for '${c}'")
  endif()
  if(NOT completion MATCHES "[ |]${c}[)|]")
    fail("the bash completion does not offer '${c}'")
  endif()
  run_checked(help "${exe}" ${c} --help)
  string(REGEX MATCHALL "\n  --[a-z0-9-]+" opts "${help}")
  foreach(o IN LISTS opts)
    string(REGEX REPLACE "\n  --" "" o "${o}")
    math(EXPR noptions "${noptions} + 1")
    string(REPLACE "-" "\\\\-" roff "${o}")
    if(NOT man MATCHES "\\.B \\\\-\\\\-${roff}[ \n]")
      fail("the man page does not list '${c} --${o}'")
    endif()
    if(NOT completion MATCHES "--${o}[ ']")
      fail("the bash completion does not offer '${c} --${o}'")
    endif()
  endforeach()
endforeach()
message(STATUS "man page and completion: ${ncommands} commands, ${noptions} options checked")

# The completion works in bash: "ren" completes to render, "render --ou" to --out.
find_program(BASH bash REQUIRED)
file(WRITE "${PREFIX}/complete.sh" "source '${PREFIX}/share/bash-completion/completions/attnscope'
COMP_WORDS=(attnscope ren) COMP_CWORD=1
_attnscope
echo \"1:\${COMPREPLY[*]}\"
COMP_WORDS=(attnscope render --ou) COMP_CWORD=2
_attnscope
echo \"2:\${COMPREPLY[*]}\"
")
run_checked(out "${BASH}" "${PREFIX}/complete.sh")
if(NOT out MATCHES "1:render" OR NOT out MATCHES "2:--out( |\n)")
  fail("the bash completion does not complete 'ren' and 'render --ou':\n${out}")
endif()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} install check(s) failed")
endif()
message(STATUS "install tree OK")
