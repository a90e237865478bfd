# Keeps the code shown in docs/ identical to code that is compiled.
#
# A compiled source marks a snippet with a line "// snippet-begin: <id>" and ends it with
# "// snippet-end". A document shows it as
#   <!-- snippet: <id> -->
#   ```cpp
#   ...the same lines...
#   ```
# This script fails when a document names a snippet that no source defines, or when the lines differ.
# Run: cmake -DROOT=<repo> -P tests/docs/check_snippets.cmake
cmake_minimum_required(VERSION 3.25)
file(GLOB_RECURSE sources ${ROOT}/examples/*.cpp ${ROOT}/examples/*.hpp ${ROOT}/include/*.hpp ${ROOT}/tests/*.cpp)
# CMake lists are ';'-separated: every ';' of the C++ text is swapped for a placeholder before the text
# is split into lines, and the comparison happens on the swapped text.
set(semi "@SEMICOLON@")
set(ids "")
foreach(src ${sources})
  file(READ ${src} content)
  if(NOT content MATCHES "snippet-begin")
    continue()
  endif()
  string(REPLACE ";" "${semi}" content "${content}")
  string(REPLACE "\n" ";" lines "${content}")
  set(current "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^[ ]*// snippet-begin: ([A-Za-z0-9_-]+)")
      set(current ${CMAKE_MATCH_1})
      set(body_${current} "")
      list(APPEND ids ${current})
    elseif(line MATCHES "^[ ]*// snippet-end")
      set(current "")
    elseif(current)
      string(APPEND body_${current} "${line}\n")
    endif()
  endforeach()
endforeach()

file(GLOB docs ${ROOT}/docs/*.md ${ROOT}/README.md)
set(checked 0)
foreach(doc ${docs})
  file(READ ${doc} text)
  string(REPLACE ";" "${semi}" text "${text}")
  string(REGEX MATCHALL "<!-- snippet: [A-Za-z0-9_-]+ -->\n```cpp\n[^`]*```" blocks "${text}")
  foreach(block IN LISTS blocks)
    string(REGEX MATCH "<!-- snippet: ([A-Za-z0-9_-]+) -->" _ "${block}")
    set(id ${CMAKE_MATCH_1})
    string(REGEX REPLACE "^<!-- snippet: [A-Za-z0-9_-]+ -->\n```cpp\n" "" shown "${block}")
    string(REGEX REPLACE "```$" "" shown "${shown}")
    if(NOT id IN_LIST ids)
      message(FATAL_ERROR "${doc}: snippet '${id}' is not defined by any compiled source")
    endif()
    if(NOT shown STREQUAL body_${id})
      message(FATAL_ERROR "${doc}: snippet '${id}' differs from its compiled source.\n--- doc:\n${shown}\n--- source:\n${body_${id}}")
    endif()
    math(EXPR checked "${checked} + 1")
  endforeach()
endforeach()
if(checked EQUAL 0)
  message(FATAL_ERROR "no snippets found in docs/: the check would prove nothing")
endif()
message(STATUS "${checked} documentation snippets match their compiled sources")
