# cmake -DIN=page.html -DOUT=studio_page.hpp -P embed_page.cmake: the page as one C++ raw string.
file(READ ${IN} page)
string(FIND "${page}" ")studio_page\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw string's end marker )studio_page\"")
endif()
file(WRITE ${OUT} "#pragma once\n// Generated from ${IN} by embed_page.cmake; do not edit.\n#include <string_view>\nnamespace studio {\ninline constexpr std::string_view page_html = R\"studio_page(${page})studio_page\";\n}\n")
