// SIGINT and SIGTERM as a request to stop: the commands poll it between stages and inside the
// library's loops (through a Progress), so an interrupted run writes no partial output and ends
// with exit 130. Process-wide by nature, so it lives in the command, never in the library.
#pragma once

namespace quantize::cli {

// The first SIGINT or SIGTERM sets the request; a second one ends the process at once (the
// default action is restored by the first).
void install_stop_handlers();

// Whether a stop was requested since install_stop_handlers().
bool stop_requested();

}  // namespace quantize::cli
