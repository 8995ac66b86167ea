#include "debug/html.h"

#include "debug/assets.h"

namespace adminara::obs::debug {
namespace {

// Replaces every `{{key}}` in `tmpl` with its value (values are inserted as given).
std::string fill(std::string_view tmpl,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::string out;
  out.reserve(tmpl.size() + 256);
  while (!tmpl.empty()) {
    const std::size_t open = tmpl.find("{{");
    if (open == std::string_view::npos) break;
    const std::size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(tmpl.substr(0, open));
    const std::string_view key = tmpl.substr(open + 2, close - open - 2);
    bool found = false;
    for (const auto& [k, v] : values) {
      if (k == key) {
        out.append(v);
        found = true;
        break;
      }
    }
    if (!found) out.append(tmpl.substr(open, close + 2 - open));
    tmpl.remove_prefix(close + 2);
  }
  out.append(tmpl);
  return out;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_page(std::string_view page, std::string_view service_name) {
  std::string nav;
  std::string_view title = "Debug pages";
  for (const PageInfo& p : kPages) {
    const bool current = p.id == page;
    if (current) title = p.title;
    nav += "<a href=\"/debug/" + std::string(p.id) + "\"" +
           (current ? " aria-current=\"page\"" : "") + ">" + std::string(p.title) + "</a>";
  }
  const std::string service = html_escape(service_name);
  const std::string page_id = html_escape(page);
  return fill(kPageHtml, {{"title", title}, {"service", service}, {"page", page_id}, {"nav", nav}});
}

}  // namespace adminara::obs::debug
