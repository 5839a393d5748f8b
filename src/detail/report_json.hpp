// The report as a JSON object, for format_json and for the lines of a batch manifest.
#pragma once

#include <nlohmann/json.hpp>

#include "quantize/report.hpp"

namespace quantize::detail {

nlohmann::json report_json(const Report& report);

}  // namespace quantize::detail
