// HTML for the debug pages: escaping, and the page shell that every page shares (the data is
// filled in by the embedded script from the JSON endpoints, always as text, never as markup).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace adminara::obs::debug {

/// `text` with &, <, >, " and ' replaced by character references, so that it shows as text in
/// an HTML element or a quoted attribute value.
std::string html_escape(std::string_view text);

/// The pages, in navigation order: path segment under /debug/ and title.
struct PageInfo {
  std::string_view id;
  std::string_view title;
};
inline constexpr PageInfo kPages[] = {
    {"tracez", "Traces"}, {"metricz", "Metrics"}, {"profilez", "Profiler"}, {"jobz", "Jobs"}};

/// The HTML of page `page` (one of kPages' ids, or "index") for the service `service_name`.
/// Every value inserted is escaped.
std::string render_page(std::string_view page, std::string_view service_name);

}  // namespace adminara::obs::debug
