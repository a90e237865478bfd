# The library/recipes boundary (docs/decisions.md, "Library and recipes"), checked so that it cannot
# rot silently:
#   1. no header under include/i2i outside recipes/ includes i2i/recipes/ (the core never needs the
#      training programs; the installed package does not even ship them);
#   2. no header under include/i2i/models/ includes the data pipeline (a network's configuration and the
#      papers' ops take tensors, never a dataset or a loader).
# Run: cmake -DROOT=<repo> -P tests/boundary/check_recipes.cmake
cmake_minimum_required(VERSION 3.25)
set(pipeline "loader|aligned_dataset|distributed_sampler|transform")
set(include_line "#[ \t]*include[ \t]*[<\"]")

file(GLOB_RECURSE headers ${ROOT}/include/i2i/*.hpp ${ROOT}/include/i2i/*.h ${ROOT}/include/i2i/*.cuh)
file(GLOB_RECURSE recipes ${ROOT}/include/i2i/recipes/*.hpp)
file(GLOB_RECURSE models ${ROOT}/include/i2i/models/*.hpp)
# An empty glob would pass everything: make sure the checked folders are where this script looks.
if(NOT headers OR NOT recipes OR NOT models)
  message(FATAL_ERROR "check_recipes: no headers under ${ROOT}/include/i2i/{,recipes,models}; wrong ROOT?")
endif()

set(violations "")
foreach(h ${headers})
  file(RELATIVE_PATH rel ${ROOT} ${h})
  if(rel MATCHES "^include/i2i/recipes/")
    continue()
  endif()
  file(STRINGS ${h} hits REGEX "${include_line}i2i/recipes/")
  foreach(hit ${hits})
    string(APPEND violations "  ${rel}: ${hit}  (the library must not include a recipe)\n")
  endforeach()
  if(rel MATCHES "^include/i2i/models/")
    file(STRINGS ${h} hits REGEX "${include_line}i2i/data/(${pipeline})\\.hpp")
    foreach(hit ${hits})
      string(APPEND violations "  ${rel}: ${hit}  (models/ must not include the data pipeline)\n")
    endforeach()
  endif()
endforeach()

if(violations)
  message(FATAL_ERROR "check_recipes: the library/recipes boundary is broken (docs/decisions.md, \"Library and "
                      "recipes\"):\n${violations}Move the code into include/i2i/recipes/<paper>/, or the shared "
                      "part out of the recipe into the library.")
endif()
list(LENGTH headers n)
message(STATUS "check_recipes: ${n} headers, boundary holds")
