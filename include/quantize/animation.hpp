// Animations (animated GIF and WebP): every frame as the viewer shows it, composited onto the
// canvas, with its delay.
#pragma once

#include <vector>

#include "quantize/pixels.hpp"

namespace quantize {

// One frame as shown: the whole canvas after the frame is drawn over what the earlier ones left
// (offsets and disposal applied), never a partial rectangle.
struct AnimationFrame {
    Image image;       // width x height of the canvas; RGBA, or RGB when no frame has alpha
    int delay_ms = 0;  // how long it stays, in milliseconds, >= 0 (GIF counts tens of ms)
};

struct Animation {
    int width = 0, height = 0;  // the canvas, in pixels
    std::vector<AnimationFrame> frames;
    // Times the whole animation is played: 0 = forever, else 1..65536 (a GIF without a loop
    // extension plays once; GIF's NETSCAPE2.0 count N means N + 1 plays, as browsers show it).
    int loops = 0;
    SourceFormat source;  // of the file: channels of the frames, file bytes
};

}  // namespace quantize
