// The chart of `quantize analyze --plot`: the analysis's curves drawn with the plot module.
#pragma once

#include "plot.hpp"
#include "quantize/analyze.hpp"

namespace quantize::plot {

// The series colors of the chart, for the tests that look for them.
inline constexpr Rgb kMseColor{31, 119, 180};
inline constexpr Rgb kBytesColor{255, 127, 14};
inline constexpr Rgb kSilhouetteColor{44, 160, 44};
inline constexpr Rgb kDaviesBouldinColor{148, 103, 189};

// Two panels, one above the other (1000 x 900 pixels): MSE and PNG bytes against K with the
// elbow marked on the MSE curve; silhouette (left axis) and Davies-Bouldin (right) against K
// with the best silhouette marked. K on a log axis: the picks sit at small K, the sweep runs
// to 256.
Figure analysis_figure(const Analysis& analysis);

}  // namespace quantize::plot
