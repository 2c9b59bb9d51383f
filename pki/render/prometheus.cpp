// Prometheus text format 0.0.4 rendering of the expiry report (metric reference: docs/expiry.md).
#include "swarmpki/prometheus.hpp"

#include "exposition.hpp"
#include "swarmpki/utf8.hpp"

#include <map>

namespace swarmpki {

namespace {

std::vector<PrometheusLabel> cert_labels(const CertExpiry& e) {
    return {{"path", e.path},
            {"kind", std::string(to_string(e.kind))},
            {"role", e.role.value_or("")},
            {"node_id", e.node_id.value_or("")},
            {"cluster_id", e.cluster_id.value_or("")},
            {"serial", e.serial},
            {"issuer_cn", e.issuer_cn}};
}

double seconds(Instant t) { return static_cast<double>(unix_seconds(t)); }

void certificate_families(Exposition& x, const ExpiryReport& report,
                          const std::vector<std::vector<PrometheusLabel>>& labels) {
    const auto& certs = report.certificates;
    x.family("swarmpki_cert_not_after_timestamp_seconds",
             "NotAfter of the certificate as a Unix timestamp.");
    for (std::size_t i = 0; i < certs.size(); ++i) x.sample(labels[i], seconds(certs[i].not_after));
    x.family("swarmpki_cert_not_before_timestamp_seconds",
             "NotBefore of the certificate as a Unix timestamp.");
    for (std::size_t i = 0; i < certs.size(); ++i)
        x.sample(labels[i], seconds(certs[i].not_before));
    x.family("swarmpki_cert_renewal_window_end_timestamp_seconds",
             "End of a node certificate's renewal window (NotBefore + 80% of lifetime); a node "
             "certificate still in place after it is not reaching a manager.");
    for (std::size_t i = 0; i < certs.size(); ++i)
        if (certs[i].renewal_window) x.sample(labels[i], seconds(certs[i].renewal_window->end));
    x.family("swarmpki_cert_expired", "1 when the certificate's NotAfter has passed.");
    for (std::size_t i = 0; i < certs.size(); ++i)
        x.sample(labels[i], certs[i].status == ExpiryStatus::expired ? 1 : 0);
    x.family("swarmpki_cert_status",
             "1 for the certificate's expiry status, 0 for the other statuses.");
    for (std::size_t i = 0; i < certs.size(); ++i)
        for (ExpiryStatus s : kAllExpiryStatuses) {
            auto with_status = labels[i];
            with_status.push_back({"status", std::string(to_string(s))});
            x.sample(with_status, certs[i].status == s ? 1 : 0);
        }
    // The expiry policy's severity of each certificate, so that an alert can route one expiring
    // certificate by its own severity rather than by the exporter's worst (swarmpki_status).
    x.family("swarmpki_cert_severity",
             "The certificate's severity by the expiry policy, as an exit code: 0 ok, 1 "
             "warning, 2 critical.");
    for (std::size_t i = 0; i < certs.size(); ++i)
        x.sample(labels[i], static_cast<double>(exit_code_for(certs[i].severity)));
    if (report.cert_expiry) {
        x.family("swarmpki_cert_lifetime_mismatch",
                 "1 when a node certificate's issued lifetime differs from the configured "
                 "cert-expiry.");
        for (std::size_t i = 0; i < certs.size(); ++i)
            if (certs[i].lifetime_mismatch)
                x.sample(labels[i], *certs[i].lifetime_mismatch ? 1 : 0);
    }
}

void scan_families(Exposition& x, const ExpiryReport& report) {
    x.family("swarmpki_rotation_in_progress",
             "1 when a CA rotation is under way in the cluster (a cross-signed chain, or root "
             "files linked by one).");
    for (const ClusterSummary& c : report.summary.clusters)
        x.sample({{"cluster_id", c.cluster_id}}, c.rotation_in_progress ? 1 : 0);
    x.family("swarmpki_cluster_fips",
             "1 when the cluster requires FIPS mode (its certificates' O is FIPS.<cluster_id>).");
    for (const ClusterSummary& c : report.summary.clusters)
        x.sample({{"cluster_id", c.cluster_id}}, c.fips ? 1 : 0);
    x.family("swarmpki_cluster_roots", "Distinct swarm-root-ca.crt digests seen in the cluster.");
    for (const ClusterSummary& c : report.summary.clusters)
        x.sample({{"cluster_id", c.cluster_id}}, static_cast<double>(c.root_digests.size()));
    x.family("swarmpki_scan_errors", "Files that could not be evaluated, by reason.");
    for (const auto& [reason, count] : report.summary.errors_by_reason)
        x.sample({{"reason", std::string(to_string(reason))}}, static_cast<double>(count));
    x.family("swarmpki_scan_files", "Files read and parsed by the scan.");
    x.sample({}, static_cast<double>(report.summary.files_scanned));
    x.family("swarmpki_expected_file_present",
             "1 when a node directory holds the file, 0 when it is missing.");
    for (const NodeDirectory& d : report.directories) {
        bool node = d.kind == DirectoryKind::node;  // a CA directory expects no node files
        if (node)
            x.sample({{"path", d.path}, {"file", kNodeCertFile}}, d.node_cert_present ? 1 : 0);
        x.sample({{"path", d.path}, {"file", kRootCertFile}}, d.root_file_present ? 1 : 0);
        if (node) x.sample({{"path", d.path}, {"file", kNodeKeyFile}}, d.key_present ? 1 : 0);
    }
    x.family("swarmpki_status",
             "Worst severity of the scan as its exit code: 0 ok, 1 warning, 2 critical, 3 "
             "unknown.");
    x.sample({}, static_cast<double>(exit_code_for(report.status)));
    x.family("swarmpki_evaluated_at_timestamp_seconds",
             "The instant the report was evaluated at, as a Unix timestamp.");
    x.sample({}, seconds(report.evaluated_at));
    x.family("swarmpki_build_info", "swarmpki version; always 1.");
    x.sample({{"version", SWARMPKI_VERSION}}, 1);
}

void extra_families(Exposition& x, std::span<const ExtraGauge> extra) {
    std::map<std::string, std::vector<const ExtraGauge*>> by_name;
    std::vector<std::string> order;
    for (const ExtraGauge& g : extra) {
        auto [it, fresh] = by_name.try_emplace(g.name);
        if (fresh) order.push_back(g.name);
        it->second.push_back(&g);
    }
    for (const std::string& name : order) {
        const auto& samples = by_name[name];
        x.family(name, samples.front()->help);
        for (const ExtraGauge* g : samples) x.sample(g->labels, g->value);
    }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size();) {
        char c = value[i];
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else if (static_cast<unsigned char>(c) >= 0x80) {
            i += append_utf8_sequence(out, value, i);
            continue;
        } else {
            out += c;
        }
        ++i;
    }
    return out;
}

std::string render_prometheus(const ExpiryReport& report, std::span<const ExtraGauge> extra) {
    std::vector<std::vector<PrometheusLabel>> labels;
    labels.reserve(report.certificates.size());
    for (const CertExpiry& e : report.certificates) labels.push_back(cert_labels(e));
    Exposition x;
    certificate_families(x, report, labels);
    scan_families(x, report);
    extra_families(x, extra);
    return x.take();
}

}  // namespace swarmpki
