// The text card: what a person on a node reads in five seconds. One block per directory, labels
// in a column, absolute UTC times with relative ones beside them, findings last and worst first.
// Colour only when asked (the command asks on a terminal).
#include "swarmpki/inspect_render.hpp"

#include "cert_expiry_render.hpp"
#include "text_palette.hpp"

#include <algorithm>

namespace swarmpki {

namespace {

class Card {
public:
    Card(TextColor color, Instant now) : palette_(color == TextColor::yes), now_(now) {}

    std::string paint(std::string_view text, const char* code) const {
        return palette_.paint(text, code);
    }
    std::string severity_word(Severity s, std::string_view word) const {
        return palette_.severity_word(s, word);
    }
    void line(std::string_view label, const std::string& text) {
        std::string padded(label);
        padded.resize(std::max<std::size_t>(padded.size(), 11), ' ');
        out_ += "  " + paint(padded, "2") + text + "\n";
    }
    void raw(const std::string& text) { out_ += text; }
    std::string at(Instant t) const {
        return format_rfc3339(t) + " (" + format_relative(t, now_) + ")";
    }
    Instant now() const { return now_; }
    std::string take() { return std::move(out_); }

private:
    render_detail::Palette palette_;
    Instant now_;
    std::string out_;
};

std::string short_hash(const std::string& hex) { return hex.substr(0, 16) + "…"; }

std::string upper(std::string_view word) {
    std::string out(word);
    for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return out;
}

// Where the leaf's issuer key lives: a trust root, or which kind of bundled certificate.
std::string issuer_place(const NodeReport& n) {
    if (!n.node || !n.node->issuer_public_key_sha256) return "no certificate here signs it";
    const std::string& key = *n.node->issuer_public_key_sha256;
    for (const TrustRootEntry& r : n.trust_roots)
        if (r.public_key_sha256 == key) return "the trust root";
    for (std::size_t i = 1; i < n.chain.size(); ++i)
        if (n.chain[i].public_key_sha256 == key)
            return n.chain[i].kind == ChainKind::cross_signed_intermediate
                       ? "the cross-signed intermediate"
                       : "intermediate " + std::to_string(i + 1) + " of swarm-node.crt";
    return "unknown";
}

std::string rotation_text(RotationState state) {
    switch (state) {
        case RotationState::none: return "none";
        case RotationState::in_progress:
            return "in progress: the leaf is signed by a new root's key and reaches the trust root "
                   "through a cross-signed intermediate";
        case RotationState::completed:
            return "completed: the trust root is the new root; a cross-signed copy is still "
                   "bundled until the next renewal";
    }
    return "none";
}

std::string token_text(const Card& card, const TokenReport& token) {
    if (token.pins_root) return card.severity_word(Severity::ok, "pins this trust root");
    if (token.matching_variant && *token.matching_variant != "der" &&
        *token.matching_variant != "der-bundle")
        return card.severity_word(Severity::warning, "pins this root, not this file's bytes (" +
                                                         *token.matching_variant + ")");
    return card.severity_word(Severity::critical, "does NOT pin this trust root");
}

void render_node(Card& card, const NodeReport& n) {
    std::string status = upper(report_status(n.severity));
    card.raw(card.paint(n.dir, "1") + "  " + card.severity_word(n.severity, status) + "\n");
    for (const std::string& error : n.errors)
        card.line("error", card.severity_word(Severity::unknown, error));
    if (n.kind == DirectoryKind::ca) card.line("kind", "CA directory (a root and its key)");
    if (n.node) {
        const LeafIdentity& id = *n.node;
        card.line("node",
                  id.id + "  " +
                      (id.role ? *id.role : "role unknown (OU " + id.organizational_unit + ")") +
                      "  cluster " + id.cluster_id + (id.fips ? " (FIPS)" : ""));
        std::string issuer = id.issuer;
        if (id.issuer_public_key_sha256)
            issuer += ", key " + short_hash(*id.issuer_public_key_sha256);
        card.line("issuer", issuer + " (" + issuer_place(n) + ")");
        card.line("valid", format_rfc3339(id.not_before) + " → " + card.at(id.not_after) +
                               ", lifetime " + format_duration(Seconds(id.lifetime_seconds)));
        const auto& window = id.renewal_window;
        std::string state = card.now() < window.start
                                ? "opens " + format_relative(window.start, card.now())
                            : card.now() < window.end
                                ? "open, closes " + format_relative(window.end, card.now())
                                : "closed " + format_relative(window.end, card.now());
        card.line("renewal", format_rfc3339(window.start) + " … " + format_rfc3339(window.end) +
                                 " (" + state + ")");
    }
    for (const TrustRootEntry& r : n.trust_roots)
        card.line("trust root", r.subject + ", key " + short_hash(r.public_key_sha256) + ", " +
                                    r.key_type + ", until " + card.at(r.not_after));
    if (n.root_file_sha256)
        card.line("root file", "sha256 " + *n.root_file_sha256 + "\n" + std::string(13, ' ') +
                                   "token digest " + n.join_token_digest.value_or("?"));
    if (n.token) card.line("token", token_text(card, *n.token));
    if (n.rotation) card.line("rotation", rotation_text(*n.rotation));
    if (!n.chain.empty()) {
        std::string kinds;
        for (const ChainEntry& c : n.chain)
            kinds += (kinds.empty() ? "" : " + ") + std::string(to_string(c.kind));
        std::string verdict = !n.chain_verified ? "not checked"
                              : *n.chain_verified
                                  ? card.severity_word(Severity::ok, "verified")
                                  : card.severity_word(Severity::critical,
                                                       "NOT verified: " + n.chain_failure);
        card.line("chain", kinds + ": " + verdict);
    }
    if (n.key.present && !n.key.readable) {
        card.line("key", "not readable by this user, " + n.key.mode.value_or("?") + " " +
                             n.key.owner.value_or("?"));
    } else if (n.key.present) {
        const KeyReport& k = n.key;
        std::string text = k.type.value_or("type unknown");
        text += k.encrypted ? ", encrypted (autolock)" : ", not encrypted";
        if (k.matches_certificate)
            text += *k.matches_certificate
                        ? ", matches certificate"
                        : ", " +
                              card.severity_word(Severity::critical, "DOES NOT match certificate");
        else text += ", match not checked";
        text += ", " + k.mode.value_or("?") + " " + k.owner.value_or("?");
        if (!k.pem_headers.empty()) {
            text += ", headers";
            for (const std::string& h : k.pem_headers) text += " " + h;
        }
        card.line("key", text);
    } else if (!n.error && n.kind == DirectoryKind::node) {
        card.line("key", card.severity_word(Severity::critical, "missing"));
    }
    if (n.findings.empty()) {
        card.line("findings", "none");
        return;
    }
    bool first = true;
    for (const Finding& f : n.findings) {
        std::string word(to_string(f.severity));
        word.resize(9, ' ');
        card.line(first ? "findings" : "",
                  card.severity_word(f.severity, word) + f.code + ": " + f.message);
        if (!f.remedy.empty()) card.line("", std::string(9, ' ') + "→ " + f.remedy);
        first = false;
    }
}

void render_fleet(Card& card, const FleetSummary& f) {
    card.raw(card.paint("fleet", "1") + "\n");
    card.line("nodes", std::to_string(f.nodes) + ": " + std::to_string(f.ok) + " ok, " +
                           std::to_string(f.warning) + " warning, " + std::to_string(f.critical) +
                           " critical, " + std::to_string(f.unknown) + " unknown");
    card.line("clusters", std::to_string(f.cluster_ids.size()) + ", root files " +
                              std::to_string(f.root_file_sha256s.size()));
    card.line("rotation", std::to_string(f.rotation_none) + " none, " +
                              std::to_string(f.rotation_in_progress) + " in progress, " +
                              std::to_string(f.rotation_completed) + " completed");
    if (f.earliest_not_after)
        card.line("earliest", card.at(*f.earliest_not_after) + " " + f.earliest_dir);
    for (const Finding& finding : f.findings) {
        std::string word(to_string(finding.severity));
        word.resize(9, ' ');
        card.line("finding", card.severity_word(finding.severity, word) + finding.code + ": " +
                                 finding.message);
    }
}

}  // namespace

std::string render_inspect_text(const InspectReport& report, TextColor color) {
    Card card(color, report.evaluated_at);
    for (std::size_t i = 0; i < report.nodes.size(); ++i) {
        if (i) card.raw("\n");
        render_node(card, report.nodes[i]);
    }
    if (report.fleet) {
        card.raw("\n");
        render_fleet(card, *report.fleet);
    }
    card.raw("\n");
    const ConfiguredCertExpiry& setting = report.cert_expiry_setting;
    if (setting.seconds || !setting.origin.empty())
        card.raw(render_detail::cert_expiry_line(setting));
    card.raw("evaluated at " + format_rfc3339(report.evaluated_at) + "\n");
    return card.take();
}

}  // namespace swarmpki
