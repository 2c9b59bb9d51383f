// swarmpki.rotation-status/v1, the text report, the watch's lines and its terminal frames
// (swarmpki/rotation_status_render.hpp). The rotation and join-token phrases are cluster's own
// (cluster_text_parts.hpp), the trust root and tokens are written as cluster's JSON writes them
// (cluster_json_parts.hpp). Node IDs, hostnames and reasons come from the engine: every such
// string is made printable (controls '?', invalid UTF-8 U+FFFD) before it reaches a terminal.
#include "swarmpki/rotation_status_render.hpp"

#include "cluster_json_parts.hpp"
#include "cluster_text_parts.hpp"
#include "text_palette.hpp"

#include "swarmpki/ca.hpp"
#include "swarmpki/json_writer.hpp"
#include "swarmpki/utf8.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace swarmpki {

namespace {

using render_detail::Palette;

std::string printable(std::string_view text) { return to_one_line_utf8(text, '?'); }

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

void write_status(JsonWriter& json, const RotationStatus& s) {
    json.begin_object();
    json.member("schema", kRotationStatusSchema);
    json.member("evaluated_at", format_rfc3339(s.evaluated_at));
    json.member("in_progress", s.rotation.in_progress);
    json.member("finished", s.finished);
    json.member("converged", s.rotation.converged);
    json.member("total", s.rotation.total);
    json.member("blocked_by", s.rotation.blocked_by);
    json.key("blockers").begin_array();
    for (const RotationBlocker& b : s.blockers) {
        json.begin_object();
        json.member("id", b.id);
        json.member("hostname", b.hostname);
        json.key("role");
        if (b.role) json.value(to_string(*b.role));
        else json.null();
        json.member("state", b.state);
        json.member("reason", b.reason);
        json.end_object();
    }
    json.end_array();
    json.member("estimated_engine_seconds", s.rotation.estimated_engine_seconds);
    render_detail::write_trust_root(json, s.trust_root);
    json.key("join_tokens").begin_object();
    render_detail::write_join_token(json, "worker", s.worker_token);
    render_detail::write_join_token(json, "manager", s.manager_token);
    json.end_object();
    json.end_object();
}

// "kjlnisi3uorlqb4epqlj8pvvl (vm, worker): down since ...: a down node never renews; ..."
std::string blocker_words(const RotationBlocker& b) {
    std::string who = printable(b.id);
    std::string detail = printable(b.hostname);
    if (b.role) detail += std::string(detail.empty() ? "" : ", ") + to_string(*b.role);
    if (!detail.empty()) who += " (" + detail + ")";
    return b.reason.empty() ? who : who + ": " + printable(b.reason);
}

// The two roots of a rotation are both CN=swarm-ca: only the key tells them apart.
std::string trust_root_words(const ClusterTrustRoot& r) {
    if (r.subject.empty() && r.public_key_sha256.empty()) return "unreadable";
    std::string text = printable(r.subject);
    if (!r.key_type.empty()) text += ", " + r.key_type;
    if (!r.public_key_sha256.empty()) text += ", key " + r.public_key_sha256.substr(0, 12);
    return text;
}

std::string tokens_words(const Palette& palette, const RotationStatus& s) {
    return render_detail::join_token_words(palette, "worker", s.worker_token) + ", " +
           render_detail::join_token_words(palette, "manager", s.manager_token);
}

std::string progress_words(const Palette& palette, const RotationStatus& s) {
    if (s.finished)
        return palette.severity_word(Severity::ok, "finished") + ", " +
               std::to_string(s.rotation.converged) + "/" + std::to_string(s.rotation.total) +
               " nodes converged";
    return render_detail::rotation_words(palette, s.rotation);
}

// Terminal columns of `text`, skipping SGR sequences; one per code point.
std::size_t columns(std::string_view text) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\x1b') {
            while (i < text.size() && text[i] != 'm') ++i;
            continue;
        }
        if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++n;
    }
    return n;
}

// `text` cut to `width` columns (SGR sequences kept whole, colour reset after a cut).
std::string fit(const std::string& text, std::size_t width, bool color) {
    if (columns(text) <= width) return text;
    std::string out;
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\x1b') {
            std::size_t end = text.find('m', i);
            if (end == std::string::npos) break;
            out.append(text, i, end - i + 1);
            i = end;
            continue;
        }
        bool starts = (static_cast<unsigned char>(text[i]) & 0xc0) != 0x80;
        if (starts && ++n > width) break;
        out += text[i];
    }
    if (color) out += "\x1b[0m";
    return out;
}

std::string bar(const Palette& palette, std::size_t converged, std::size_t total) {
    constexpr std::size_t kCells = 20;
    std::size_t full = total == 0 ? kCells : std::min(kCells, converged * kCells / total);
    std::string done, left;
    for (std::size_t i = 0; i < full; ++i) done += "\xe2\x96\x88";       // █
    for (std::size_t i = full; i < kCells; ++i) left += "\xe2\x96\x91";  // ░
    return "[" + palette.paint(done, "32") + left + "]";
}

// `text` broken at spaces into lines of at most `width` columns, the later ones indented by
// `indent`; a word longer than a line is cut. Plain text only (painted after).
std::vector<std::string> wrapped(const std::string& text, std::size_t width,
                                 const std::string& indent) {
    std::vector<std::string> lines;
    std::size_t start = text.find_first_not_of(' ');
    if (start == std::string::npos) return lines;
    std::string line = text.substr(0, start);  // the first line keeps its own indent
    while (start < text.size()) {
        std::size_t space = text.find(' ', start);
        std::string word = text.substr(start, space == std::string::npos ? space : space - start);
        start = space == std::string::npos ? text.size() : space + 1;
        // Only the first line can be blank so far (its indent): no space before its first word.
        const bool fresh = line.find_first_not_of(' ') == std::string::npos;
        std::string next = fresh ? line : line + " ";
        next += word;
        if (columns(next) > width && !fresh) {
            lines.push_back(line);
            next = indent + word;
        }
        line = fit(next, width, false);
    }
    if (!line.empty()) lines.push_back(line);
    return lines;
}

// The bar line, then under it each blocker and, once settled, the trust root and the tokens:
// every line within `width` columns, so the redraw knows how many lines it goes back.
std::vector<std::string> frame_lines(const Palette& palette, const RotationStatus& s,
                                     Seconds elapsed, std::size_t width) {
    const ClusterRotation& r = s.rotation;
    std::string counts = std::to_string(r.converged) + "/" + std::to_string(r.total) + " converged";
    std::string when = "elapsed " + format_duration(elapsed);
    std::string head;
    if (!r.in_progress && !s.finished) {
        head = "rotation: none in progress  " + when;
    } else if (s.finished) {
        head = "rotation " + bar(palette, r.converged, r.total) + " " + counts + "  " + when +
               "  " + palette.severity_word(Severity::ok, "finished");
    } else {
        std::string estimate = r.estimated_engine_seconds
                                   ? "estimate " +
                                         format_duration(Seconds(static_cast<std::int64_t>(
                                             std::ceil(*r.estimated_engine_seconds))))
                               : s.blocked() ? palette.severity_word(Severity::critical,
                                                                     "blocked by " +
                                                                         plural(r.blocked_by.size(),
                                                                                "node", "nodes"))
                                             : std::string("no estimate");
        head = "rotation " + bar(palette, r.converged, r.total) + " " + counts + "  " + when +
               "  " + estimate;
    }
    std::vector<std::string> lines{fit(head, width, palette.colored())};
    for (const RotationBlocker& b : s.blockers)
        for (const std::string& l : wrapped("  \xe2\x86\xb3 " + blocker_words(b), width, "    "))
            lines.push_back(palette.severity_word(Severity::critical, l));
    if (!r.in_progress) {
        Palette plain(false);
        for (const std::string& l : wrapped("  trust root " + trust_root_words(s.trust_root) +
                                                "; " + tokens_words(plain, s),
                                            width, "    "))
            lines.push_back(l);
    }
    return lines;
}

}  // namespace

std::string render_rotation_status_json(const RotationStatus& status) {
    JsonWriter json;
    write_status(json, status);
    return json.take() + "\n";
}

std::string render_rotation_status_jsonl(const RotationStatus& status) {
    JsonWriter json(JsonStyle::compact);
    write_status(json, status);
    return json.take() + "\n";
}

std::string render_rotation_status_text(const RotationStatus& s, TextColor color) {
    Palette palette(color == TextColor::yes);
    auto line = [&palette](std::string_view label, const std::string& text) {
        std::string l(label);
        l.resize(12, ' ');
        return palette.paint(l, "2") + text + "\n";
    };
    std::string out = line("rotation", progress_words(palette, s));
    for (const RotationBlocker& b : s.blockers)
        out += line("  blocked", palette.severity_word(Severity::critical, blocker_words(b)));
    out += line("trust root", trust_root_words(s.trust_root));
    out += line("join tokens", tokens_words(palette, s));
    out += "evaluated at " + format_rfc3339(s.evaluated_at) + "\n";
    return out;
}

std::string render_rotation_status_line(const RotationStatus& s) {
    Palette plain(false);
    std::string out = format_rfc3339(s.evaluated_at) + " rotation " + progress_words(plain, s);
    if (!s.blockers.empty()) {
        out += ": ";
        for (std::size_t i = 0; i < s.blockers.size(); ++i)
            out += (i ? " | " : "") + blocker_words(s.blockers[i]);
    }
    if (!s.rotation.in_progress)
        out += "; trust root " + trust_root_words(s.trust_root) + "; " + tokens_words(plain, s);
    return out + "\n";
}

RotationStatusTerminal::RotationStatusTerminal(TextColor color, std::size_t width)
    : color_(color == TextColor::yes), width_(std::max<std::size_t>(width, 20)) {}

std::string RotationStatusTerminal::draw(const RotationStatus& status, Seconds elapsed) {
    std::string out;
    if (lines_) {
        out += "\r\x1b[2K";
        for (std::size_t i = 1; i < lines_; ++i) out += "\x1b[1A\x1b[2K";
    }
    Palette palette(color_);
    // One column short of the width: a line that fills it would wrap on some terminals.
    std::vector<std::string> lines = frame_lines(palette, status, elapsed, width_ - 1);
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
    lines_ = lines.size();
    return out;
}

std::string rotation_status_end_message(const RotationStatus& s, RotationWaitEnd end,
                                        Seconds waited) {
    if (rotation_settled(s)) {
        if (s.tokens_pin_trust_root()) return {};
        std::string roles;
        if (!s.worker_token.pins_trust_root) roles = "worker";
        if (!s.manager_token.pins_trust_root) roles += roles.empty() ? "manager" : " and manager";
        return "rotate status: the " + roles + " join token does not pin the trust root (" +
               trust_root_words(s.trust_root) + "): a node joining with it refuses the managers; " +
               "docker swarm join-token --rotate " +
               (s.worker_token.pins_trust_root ? "manager" : "worker");
    }
    if (end != RotationWaitEnd::timed_out) return {};
    const ClusterRotation& r = s.rotation;
    std::string after = " after " + format_duration(waited) +
                        " (--timeout): " + std::to_string(r.converged) + "/" +
                        std::to_string(r.total) + " nodes converged";
    if (s.blocked()) {
        std::string ids;
        for (const std::string& id : r.blocked_by) ids += (ids.empty() ? "" : ", ") + printable(id);
        return "rotate status: the CA rotation is still blocked" + after + ", waiting for " + ids +
               ": bring each back, or docker node rm it (it must then rejoin with the new token)";
    }
    return "rotate status: the CA rotation is still converging" + after +
           ", nothing blocks it: watch again, or give a longer --timeout";
}

}  // namespace swarmpki
