// The Engine API's replies, parsed strictly (engine_reply.hpp).
//
// Bounds first, DOM second: the size cap is checked before a byte is parsed, and the parse is
// nlohmann's SAX parser driving a builder of our own, which refuses a reply nested deeper than
// kMaxEngineJsonDepth, holding more than kMaxEngineNodes nodes, or repeating a member the moment
// it sees it, and builds only the members this file reads. Member checks then walk that small
// DOM with the member's path, and the first problem becomes the one-line error. nlohmann's own
// error text is never passed on: it quotes the input around the failure, which may be a join
// token's secret.
#include "swarmpki/engine_reply.hpp"

#include "swarmpki/join_token.hpp"
#include "swarmpki/redact.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace swarmpki {

namespace {

using json = nlohmann::json;

// A refusal while checking a reply; caught in this file only, where it becomes the error.
struct Refusal {
    std::string message;
};

[[noreturn]] void refuse(const std::string& path, const std::string& problem) {
    throw Refusal{path.empty() ? problem : path + ": " + problem};
}

std::string join(const std::string& path, const char* key) {
    return path.empty() ? std::string(key) : path + "." + key;
}

enum class TopLevel { object, array };

// The members this file reads, at any depth. Every other member is checked for the bounds
// (nesting, repeats) but never built: a node's Plugins, Resources and Labels are most of a
// /nodes reply, and building them as a DOM cost more than half of parsing 5,000 nodes.
bool member_read(const std::string& key) {
    static const std::unordered_set<std::string> kRead = {
        // /nodes
        "ID", "UpdatedAt", "Spec", "Role", "Availability", "Description", "Hostname", "Engine",
        "EngineVersion", "TLSInfo", "TrustRoot", "CertIssuerSubject", "CertIssuerPublicKey",
        "Status", "State", "Message", "Addr", "ManagerStatus", "Leader", "Reachability",
        // /swarm and /info's Swarm.Cluster
        "CAConfig", "NodeCertExpiry", "ForceRotate", "ExternalCAs", "Protocol", "URL", "CACert",
        "RootRotationInProgress", "JoinTokens", "Worker", "Manager",
        // /info
        "ServerVersion", "DockerRootDir", "Swarm", "NodeID", "LocalNodeState", "ControlAvailable",
        "Cluster",
        // /version, error bodies
        "Version", "ApiVersion", "MinAPIVersion", "message"};
    return kRead.count(key) != 0;
}

// A SAX handler that builds the DOM of the members member_read() names and keeps the bounds
// for the whole reply as it goes: nesting (counted through skipped members too), the node
// count, and repeated members in every object it builds. A skipped subtree costs its lexing
// only; a refusal stops the parse where it is found.
class BoundedBuilder final : public json::json_sax_t {
public:
    // Called with each element of a top-level array as soon as it is complete (and its index),
    // so a caller can take what it needs and free it while it is still in the cache: 5,000 node
    // DOMs freed at the end cost more than converting them.
    using ElementHandler = std::function<void(json& element, std::size_t index)>;

    BoundedBuilder(TopLevel top, ElementHandler on_element)
        : top_(top), on_element_(std::move(on_element)) {}

    json result;
    std::optional<std::size_t> error_byte;  // where the JSON itself went wrong

    bool null() override {
        return place([] { return json(); });
    }
    bool boolean(bool value) override {
        return place([&] { return json(value); });
    }
    bool number_integer(number_integer_t value) override {
        return place([&] { return json(value); });
    }
    bool number_unsigned(number_unsigned_t value) override {
        return place([&] { return json(value); });
    }
    bool number_float(number_float_t value, const string_t&) override {
        return place([&] { return json(value); });
    }
    // Copied, not moved: the lexer keeps its buffer's capacity for the next string (moving it
    // out made every long string grow a new buffer from nothing).
    bool string(string_t& value) override {
        return place([&] { return json(value); });
    }
    bool binary(binary_t&) override {  // never produced from text
        return place([] { return json(); });
    }

    bool start_object(std::size_t) override { return open(json::object(), true); }
    bool start_array(std::size_t) override { return open(json::array(), false); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }

    bool key(string_t& name) override {
        if (skipped_ > 0) return true;
        note_key(std::hash<std::string>{}(name));
        skip_next_ = !member_read(name);
        key_ = name;
        return true;
    }

    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception&) override {
        error_byte = position;  // the token text is not kept: it may be a secret
        return false;
    }

private:
    struct Open {
        json* value = nullptr;
        bool object = false;
        std::size_t key_start = 0;  // its first member's index in hashes_
        std::unique_ptr<std::unordered_set<std::size_t>> many;  // past kLinear members
    };
    static constexpr std::size_t kLinear = 32;

    // Where the next value goes; nullptr when it is skipped.
    json* slot_for(json&& value) {
        if (skipped_ > 0) return nullptr;
        if (open_.empty()) {
            result = std::move(value);
            return &result;
        }
        Open& parent = open_.back();
        if (!parent.object) {
            if (top_ == TopLevel::array && open_.size() == 1 && ++elements_ > kMaxEngineNodes)
                refuse("", "more than " + std::to_string(kMaxEngineNodes) + " nodes");
            parent.value->push_back(std::move(value));
            return &parent.value->back();
        }
        if (skip_next_) {
            skip_next_ = false;
            return nullptr;
        }
        json& member = (*parent.value)[key_];
        member = std::move(value);
        return &member;
    }

    // A skipped value is never built, not even as a json.
    template <class Make>
    bool place(Make make) {
        if (skipped_ > 0) return true;
        if (!open_.empty() && open_.back().object && skip_next_) {
            skip_next_ = false;
            return true;
        }
        json* slot = slot_for(make());
        if (slot && open_.size() == 1) element_done(*slot);
        return true;
    }

    void element_done(json& element) {
        if (top_ == TopLevel::array && !open_.front().object && on_element_)
            on_element_(element, elements_ - 1);
    }

    bool open(json&& container, bool object) {
        // The containers around this one, skipped or not, plus this one.
        if (open_.size() + skipped_ + 1 > kMaxEngineJsonDepth)
            refuse("", "nested deeper than " + std::to_string(kMaxEngineJsonDepth) + " levels");
        json* slot = slot_for(std::move(container));
        if (!slot) {
            ++skipped_;
            return true;
        }
        open_.push_back({slot, object, hashes_.size(), nullptr});
        return true;
    }

    bool close() {
        if (skipped_ > 0) {
            --skipped_;
        } else if (!open_.empty()) {
            hashes_.resize(open_.back().key_start);
            json* closed = open_.back().value;
            open_.pop_back();
            if (open_.size() == 1) element_done(*closed);
        }
        return true;
    }

    // Member names are kept as hashes (no copies): a collision only refuses a reply, which a
    // hostile engine could do anyway.
    void note_key(std::size_t hash) {
        Open& object = open_.back();
        std::size_t count = hashes_.size() - object.key_start;
        bool repeated = false;
        if (count < kLinear) {
            for (std::size_t i = object.key_start; i < hashes_.size(); ++i)
                repeated |= hashes_[i] == hash;
        } else {
            if (!object.many)
                object.many = std::make_unique<std::unordered_set<std::size_t>>(
                    hashes_.begin() + static_cast<std::ptrdiff_t>(object.key_start), hashes_.end());
            repeated = !object.many->insert(hash).second;
        }
        if (repeated) refuse("", "a member is repeated in one object");
        hashes_.push_back(hash);
    }

    TopLevel top_;
    ElementHandler on_element_;
    std::size_t elements_ = 0;
    std::size_t skipped_ = 0;  // open containers inside a skipped member
    bool skip_next_ = false;   // the member whose key was just read is skipped
    std::string key_;
    std::vector<Open> open_;
    std::vector<std::size_t> hashes_;
};

json parse_bounded(std::string_view body, TopLevel top,
                   BoundedBuilder::ElementHandler on_element = {}) {
    if (body.size() > kMaxEngineReplyBytes)
        refuse("", "reply of " + std::to_string(body.size()) + " bytes, over the " +
                       std::to_string(kMaxEngineReplyBytes) + "-byte limit");
    BoundedBuilder builder(top, std::move(on_element));
    if (!json::sax_parse(body.begin(), body.end(), &builder)) {
        std::size_t byte = builder.error_byte.value_or(body.size() + 1);
        if (byte > body.size())  // 1-based: past the end is the end of the input
            refuse("", "not complete JSON: it ends after " + std::to_string(body.size()) +
                           " bytes (truncated?)");
        refuse("", "not valid JSON at byte " + std::to_string(byte));
    }
    if (top == TopLevel::object && !builder.result.is_object()) refuse("", "not a JSON object");
    if (top == TopLevel::array && !builder.result.is_array()) refuse("", "not a JSON array");
    return std::move(builder.result);
}

// A member, or nullptr when it is absent or null (Go writes nil slices, maps and pointers as
// null: the same as absent).
const json* member(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
}

const json* object_member(const json& object, const char* key, const std::string& path) {
    const json* value = member(object, key);
    if (value && !value->is_object()) refuse(join(path, key), "not an object");
    return value;
}

std::string string_member(const json& object, const char* key, const std::string& path) {
    const json* value = member(object, key);
    if (!value) return {};
    if (!value->is_string()) refuse(join(path, key), "not a string");
    return value->get<std::string>();
}

bool bool_member(const json& object, const char* key, const std::string& path) {
    const json* value = member(object, key);
    if (!value) return false;
    if (!value->is_boolean()) refuse(join(path, key), "not true or false");
    return value->get<bool>();
}

// A JSON integer that is not negative; nullopt when absent.
std::optional<std::uint64_t> unsigned_member(const json& object, const char* key,
                                             const std::string& path) {
    const json* value = member(object, key);
    if (!value) return std::nullopt;
    if (value->is_number_unsigned()) return value->get<std::uint64_t>();
    if (value->is_number_integer()) refuse(join(path, key), "negative");
    refuse(join(path, key), "not an integer");
}

Bytes base64_member(const json& object, const char* key, const std::string& path) {
    std::string text = string_member(object, key, path);
    if (text.empty()) return {};
    std::optional<Bytes> bytes = base64_decode(text, Padding::required);
    if (!bytes) refuse(join(path, key), "not base64");
    return std::move(*bytes);
}

EngineTlsInfo tls_info_member(const json& object, const std::string& path) {
    EngineTlsInfo tls;
    const json* info = object_member(object, "TLSInfo", path);
    if (!info) return tls;
    std::string here = join(path, "TLSInfo");
    tls.trust_root_pem = string_member(*info, "TrustRoot", here);
    tls.issuer_subject = base64_member(*info, "CertIssuerSubject", here);
    tls.issuer_public_key = base64_member(*info, "CertIssuerPublicKey", here);
    return tls;
}

EngineCaConfig ca_config_member(const json& spec, const std::string& path) {
    EngineCaConfig config;
    const json* ca = object_member(spec, "CAConfig", path);
    if (!ca) return config;
    std::string here = join(path, "CAConfig");
    if (auto ns = unsigned_member(*ca, "NodeCertExpiry", here))
        config.node_cert_expiry = Seconds{static_cast<std::int64_t>(*ns / 1'000'000'000u)};
    config.force_rotate = unsigned_member(*ca, "ForceRotate", here).value_or(0);
    const json* cas = member(*ca, "ExternalCAs");
    if (!cas) return config;
    std::string list = join(here, "ExternalCAs");
    if (!cas->is_array()) refuse(list, "not an array");
    for (std::size_t i = 0; i < cas->size(); ++i) {
        std::string item = list + "[" + std::to_string(i) + "]";
        const json& entry = (*cas)[i];
        if (!entry.is_object()) refuse(item, "not an object");
        config.external_cas.push_back({string_member(entry, "Protocol", item),
                                       string_member(entry, "URL", item),
                                       string_member(entry, "CACert", item)});
    }
    return config;
}

// Only the digest is kept; parse_join_token's error never holds the secret, and is not kept
// either: a malformed token is reported as not well formed.
EngineJoinToken join_token_member(const json& tokens, const char* key, const std::string& path) {
    EngineJoinToken token;
    const json* value = member(tokens, key);
    if (!value) return token;
    if (!value->is_string()) refuse(join(path, key), "not a string");
    const std::string& text = value->get_ref<const std::string&>();  // no copy of the secret
    token.present = !text.empty();
    if (!token.present) return token;
    JoinTokenParse parsed = parse_join_token(text);
    if (parsed.token) {
        token.well_formed = true;
        token.digest_base36 = parsed.token->digest_base36;
        token.digest = parsed.token->digest;
    }
    return token;
}

std::optional<Instant> time_member(const json& object, const char* key, const std::string& path) {
    std::string text = string_member(object, key, path);
    if (text.empty()) return std::nullopt;
    std::optional<Instant> at = parse_rfc3339(text);
    if (!at) refuse(join(path, key), "not an RFC 3339 time");
    return at;
}

std::string require_string(const json& object, const char* key, const std::string& path) {
    std::string value = string_member(object, key, path);
    if (value.empty()) refuse(join(path, key), "missing or empty");
    return value;
}

EngineNode node_from(const json& entry, const std::string& path) {
    if (!entry.is_object()) refuse(path, "not an object");
    EngineNode node;
    node.id = require_string(entry, "ID", path);
    node.updated_at = time_member(entry, "UpdatedAt", path);
    if (const json* spec = object_member(entry, "Spec", path)) {
        std::string here = join(path, "Spec");
        std::string role = string_member(*spec, "Role", here);
        if (!role.empty()) {
            node.role = parse_node_role(role);
            if (!node.role) refuse(join(here, "Role"), "neither manager nor worker");
        }
        node.availability = string_member(*spec, "Availability", here);
    }
    if (const json* description = object_member(entry, "Description", path)) {
        std::string here = join(path, "Description");
        node.hostname = string_member(*description, "Hostname", here);
        if (const json* engine = object_member(*description, "Engine", here))
            node.engine_version = string_member(*engine, "EngineVersion", join(here, "Engine"));
        node.tls_info = tls_info_member(*description, here);
    }
    if (const json* status = object_member(entry, "Status", path)) {
        std::string here = join(path, "Status");
        node.state = string_member(*status, "State", here);
        node.message = string_member(*status, "Message", here);
        node.addr = string_member(*status, "Addr", here);
    }
    if (const json* manager = object_member(entry, "ManagerStatus", path)) {
        std::string here = join(path, "ManagerStatus");
        node.leader = bool_member(*manager, "Leader", here);
        node.reachability = string_member(*manager, "Reachability", here);
    }
    return node;
}

EngineSwarm swarm_from(const json& body) {
    EngineSwarm swarm;
    swarm.id = require_string(body, "ID", "");
    if (const json* spec = object_member(body, "Spec", ""))
        swarm.ca_config = ca_config_member(*spec, "Spec");
    swarm.tls_info = tls_info_member(body, "");
    swarm.root_rotation_in_progress = bool_member(body, "RootRotationInProgress", "");
    if (const json* tokens = object_member(body, "JoinTokens", "")) {
        swarm.worker_token = join_token_member(*tokens, "Worker", "JoinTokens");
        swarm.manager_token = join_token_member(*tokens, "Manager", "JoinTokens");
    }
    return swarm;
}

EngineInfo info_from(const json& body) {
    EngineInfo info;
    info.server_version = string_member(body, "ServerVersion", "");
    info.docker_root_dir = string_member(body, "DockerRootDir", "");
    const json* swarm = object_member(body, "Swarm", "");
    if (!swarm) return info;
    info.node_id = string_member(*swarm, "NodeID", "Swarm");
    std::string state = string_member(*swarm, "LocalNodeState", "Swarm");
    if (!state.empty()) {
        auto parsed = parse_engine_node_state(state);
        if (!parsed)
            refuse("Swarm.LocalNodeState", "not inactive, pending, active, error or locked");
        info.local_node_state = *parsed;
    }
    info.control_available = bool_member(*swarm, "ControlAvailable", "Swarm");
    const json* cluster = object_member(*swarm, "Cluster", "Swarm");
    if (!cluster) return info;
    info.has_cluster = true;
    info.cluster_id = string_member(*cluster, "ID", "Swarm.Cluster");
    info.cluster_tls_info = tls_info_member(*cluster, "Swarm.Cluster");
    if (const json* spec = object_member(*cluster, "Spec", "Swarm.Cluster"))
        info.ca_config = ca_config_member(*spec, "Swarm.Cluster.Spec");
    info.root_rotation_in_progress = bool_member(*cluster, "RootRotationInProgress",
                                                 "Swarm.Cluster");
    return info;
}

template <class T, class Build>
EngineParse<T> guarded(std::string_view body, TopLevel top, Build build,
                       BoundedBuilder::ElementHandler on_element = {}) {
    EngineParse<T> result;
    try {
        json value = parse_bounded(body, top, std::move(on_element));
        result.value = build(value);
    } catch (const Refusal& refusal) {
        result.error = refusal.message;
    } catch (const std::bad_alloc&) {
        result.error = "out of memory while parsing the reply";
    } catch (const std::exception&) {
        // A type mismatch that escaped the checks above; nlohmann's text may quote the input.
        result.error = "a member does not have the expected type";
    }
    return result;
}

}  // namespace

std::optional<EngineNodeState> parse_engine_node_state(std::string_view text) {
    if (text == "inactive") return EngineNodeState::inactive;
    if (text == "pending") return EngineNodeState::pending;
    if (text == "active") return EngineNodeState::active;
    if (text == "error") return EngineNodeState::error;
    if (text == "locked") return EngineNodeState::locked;
    return std::nullopt;
}

const char* to_string(EngineNodeState state) {
    switch (state) {
        case EngineNodeState::inactive: return "inactive";
        case EngineNodeState::pending: return "pending";
        case EngineNodeState::active: return "active";
        case EngineNodeState::error: return "error";
        case EngineNodeState::locked: return "locked";
    }
    return "unknown";
}

EngineParse<EngineInfo> parse_engine_info(std::string_view body) {
    return guarded<EngineInfo>(body, TopLevel::object, info_from);
}

EngineParse<EngineSwarm> parse_engine_swarm(std::string_view body) {
    return guarded<EngineSwarm>(body, TopLevel::object, swarm_from);
}

// Each node is converted as soon as its object closes, and its DOM freed. The verdicts keep
// their order: a bound (depth, count, repeat) and then the JSON itself are judged before any
// node's members, so a node's refusal is only kept until the parse has finished.
EngineParse<std::vector<EngineNode>> parse_engine_nodes(std::string_view body) {
    std::vector<EngineNode> nodes;
    std::optional<std::string> first_refusal;
    auto convert = [&nodes, &first_refusal](json& entry, std::size_t index) {
        if (!first_refusal) {
            try {
                nodes.push_back(node_from(entry, "Nodes[" + std::to_string(index) + "]"));
            } catch (const Refusal& refusal) {
                first_refusal = refusal.message;
            } catch (const std::bad_alloc&) {
                throw;
            } catch (const std::exception&) {  // as guarded() says it
                first_refusal = "a member does not have the expected type";
            }
        }
        entry = json();  // its members are in `nodes` now
    };
    return guarded<std::vector<EngineNode>>(
        body, TopLevel::array,
        [&nodes, &first_refusal](const json&) {
            if (first_refusal) throw Refusal{*first_refusal};
            return std::move(nodes);
        },
        convert);
}

EngineParse<EngineVersion> parse_engine_version(std::string_view body) {
    return guarded<EngineVersion>(body, TopLevel::object, [](const json& value) {
        return EngineVersion{string_member(value, "Version", ""),
                             string_member(value, "ApiVersion", ""),
                             string_member(value, "MinAPIVersion", "")};
    });
}

std::string engine_error_message(std::string_view body) {
    constexpr std::size_t kMaxMessage = 300;
    EngineParse<std::string> parsed = guarded<std::string>(
        body, TopLevel::object,
        [](const json& value) { return string_member(value, "message", ""); });
    if (!parsed.value) return {};
    // One line, no control characters, no secret: it is printed as the engine's reason.
    std::string text = std::move(*parsed.value);
    if (auto cut = text.find_first_of("\r\n"); cut != std::string::npos) text.resize(cut);
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    std::string line = redact_secrets(text);
    if (line.size() > kMaxMessage) {
        // Cut on a UTF-8 character boundary: never leave half a character.
        std::size_t end = kMaxMessage;
        while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;
        line.resize(end);
    }
    return line;
}

}  // namespace swarmpki
