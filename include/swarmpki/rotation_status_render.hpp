// `swarmpki rotate status`'s outputs (docs/rotation-status.md): one report as text or as the
// swarmpki.rotation-status/v1 document, one line per change of a watch (text or JSON lines), and
// on a terminal a progress bar redrawn in place. Rendering only: every fact comes decided in the
// RotationStatus (rotation_status.hpp), itself the cluster report's.
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error \
    "swarmpki/rotation_status_render.hpp is render layer (4); a lower layer (util, crypto, swarm) may not include it"
#endif

#include "swarmpki/inspect_render.hpp"
#include "swarmpki/rotation_status.hpp"

#include <cstddef>
#include <string>

namespace swarmpki {

inline constexpr const char* kRotationStatusSchema = "swarmpki.rotation-status/v1";

// The document, pretty, with a final newline.
std::string render_rotation_status_json(const RotationStatus& status);
// The same members on one line, with a final newline: one line per change of a watch.
std::string render_rotation_status_jsonl(const RotationStatus& status);
// One report: the rotation, its blockers with their reasons, the trust root, the join tokens.
std::string render_rotation_status_text(const RotationStatus& status, TextColor color);
// One line (and its newline) for a watch whose output is not a terminal: the evaluation time,
// the progress, the blockers with their reasons.
std::string render_rotation_status_line(const RotationStatus& status);

// A watch on a terminal: a frame of a progress bar ("converged/total, elapsed, estimate") and the
// blockers with their reasons under it, each frame drawn over the one before (carriage return,
// then cursor up and clear line for each earlier line). Lines are cut to `width` columns, so
// none wraps and the redraw knows how many lines to go back.
class RotationStatusTerminal {
public:
    RotationStatusTerminal(TextColor color, std::size_t width);
    // What to write: the erase of the previous frame, then this one, the cursor left at the end
    // of its last line.
    std::string draw(const RotationStatus& status, Seconds elapsed);
    // After the last frame: a newline, so what follows starts on its own line.
    std::string finish() const { return lines_ ? "\n" : ""; }

private:
    bool color_;
    std::size_t width_;
    std::size_t lines_ = 0;  // lines of the frame on screen
};

// The one line on stderr (without "swarmpki: " and the newline) that says why a report or a
// watch did not end with 0 when stdout alone does not: a timeout (still blocked, or still
// converging, after `waited`), or join tokens that do not pin the trust root. Empty otherwise.
std::string rotation_status_end_message(const RotationStatus& status, RotationWaitEnd end,
                                        Seconds waited);

}  // namespace swarmpki
