// The colours of every text report (inspect, cluster): one palette, so a severity looks the same
// in both. Colour only when asked (TextColor::yes: a terminal, no NO_COLOR).
#pragma once

#if defined(SWARMPKI_LAYER) && SWARMPKI_LAYER < 4
#error "pki/render/text_palette.hpp is render layer (4)"
#endif

#include "swarmpki/severity.hpp"

#include <string>
#include <string_view>

namespace swarmpki::render_detail {

class Palette {
public:
    explicit Palette(bool color) : color_(color) {}
    bool colored() const { return color_; }

    std::string paint(std::string_view text, const char* code) const {
        if (!color_) return std::string(text);
        return std::string("\x1b[") + code + "m" + std::string(text) + "\x1b[0m";
    }
    std::string severity_word(Severity s, std::string_view word) const {
        switch (s) {
            case Severity::ok: return paint(word, "32");
            case Severity::info:
            case Severity::notice: return paint(word, "36");
            case Severity::warning: return paint(word, "33");
            case Severity::critical: return paint(word, "1;31");
            case Severity::unknown: return paint(word, "1;35");
        }
        return std::string(word);
    }

private:
    bool color_;
};

}  // namespace swarmpki::render_detail
