// ClusterReport -> the rotation simulator's inputs (swarmpki/rotation_live.hpp).
#include "swarmpki/rotation_live.hpp"

#include "swarmpki/certificate.hpp"
#include "swarmpki/error.hpp"
#include "swarmpki/pem.hpp"
#include "swarmpki/private_key.hpp"

namespace swarmpki {

namespace {

constexpr const char* kTrustRootName = "the engine's trust root (TLSInfo.TrustRoot)";

Certificate parse_live_root(const std::string& pem) {
    std::vector<Certificate> certs = certificates_from_pem(parse_pem_or_throw(pem, kTrustRootName),
                                                           kTrustRootName);
    if (certs.empty())
        throw Error(kTrustRootName, "holds no certificate", "ask a manager of an active swarm");
    return certs.front();
}

}  // namespace

LiveCluster live_cluster_from(const ClusterReport& report, const std::string& trust_root_pem) {
    LiveCluster live;
    live.host = report.engine.host;
    live.api_version = report.engine.api_version;
    live.server_version = report.engine.server_version;
    live.cluster_id = report.cluster.id;
    live.trust_root = PemInput{trust_root_pem, kTrustRootName};
    parse_live_root(trust_root_pem);  // refused here, before any simulation, with its reason
    for (const ClusterNode& node : report.nodes) {
        LiveNode out;
        out.id = node.id;
        out.hostname = node.hostname;
        // A node whose Spec.Role the engine left out is taken as a worker: it is no raft member
        // the simulator could count towards quorum.
        out.role = node.role.value_or(NodeRole::worker);
        out.leader = node.leader;
        out.offline = node.would_block_rotation;
        out.reason = node.blocker_reason;
        live.nodes.push_back(std::move(out));
    }
    return live;
}

RotationOptions live_rotation_options(RotationOptions options, LiveCluster live,
                                      const ClusterReport& report, bool cert_expiry_given) {
    Certificate root = parse_live_root(live.trust_root.text);
    std::optional<CaKeyType> key_type = parse_ca_key_type(root.key_type());
    RootCa stand_in = create_stand_in_root(root, key_type.value_or(CaKeyType::ecdsa_p256));
    live.stand_in = "the engine never gives out the trust root's key: the simulation's keys and "
                    "signatures run on a stand-in root with the live root's subject (" +
                    root.subject() + "), validity and key type (" +
                    (key_type ? root.key_type()
                              : std::string("ecdsa-p256 in place of ") + root.key_type()) +
                    "); an operator's --ca-cert/--ca-key is checked against the live root";
    options.current_cert = PemInput{stand_in.certificate.to_pem(), "the stand-in root"};
    options.current_key = PemInput{encode_pkcs8_pem(stand_in.key), "the stand-in root's key"};
    if (!cert_expiry_given && report.cluster.cert_expiry)
        options.cert_expiry = *report.cluster.cert_expiry;
    options.live = std::move(live);
    return options;
}

}  // namespace swarmpki
