// The debug pages' static files (src/debug/assets/), compiled into the library by
// cmake/EmbedAssets.cmake: nothing is read from disk or fetched at run time.
#pragma once

#include <string_view>

namespace adminara::obs::debug {

/// page.html: the shell of every page, with {{title}}, {{service}}, {{page}} and {{nav}}.
extern const std::string_view kPageHtml;
/// style.css
extern const std::string_view kStyleCss;
/// app.js: draws every page from the JSON endpoints.
extern const std::string_view kAppJs;

}  // namespace adminara::obs::debug
