// CA directories (`ca init`) and node directories laid out as on a real node.
//
// Writes follow the engine's habits: certificates 0644, keys 0600, a new directory 0755. The files
// of a directory belong together (a certificate beside another root's key is worse than either
// alone), so the directory is written as a whole and swapped in at once (StagedDirectory): a
// refusal or a failure at any file leaves the old set as it was.
#include "swarmpki/ca.hpp"
#include "swarmpki/chain.hpp"

#include "swarmpki/error.hpp"
#include "swarmpki/pem.hpp"

#include <openssl/evp.h>

#include <filesystem>
#include <memory>

namespace swarmpki {

namespace {

std::string join(const std::string& dir, const char* name) {
    return (std::filesystem::path(dir) / name).string();
}

Certificate single_certificate(const std::string& path) {
    std::vector<Certificate> certificates = load_certificate_file(path);
    if (certificates.size() != 1)
        throw Error(path,
                    "holds " + std::to_string(certificates.size()) +
                        " certificates, expected exactly one",
                    "keep one certificate per file in a CA directory");
    if (!certificates.front().is_ca())
        throw Error(path, "is not a CA certificate (BasicConstraints CA:TRUE is missing)",
                    "point at a directory made by `swarmpki ca init`");
    return certificates.front();
}

struct PendingFile {
    const char* name;
    std::string bytes;
    std::uint32_t mode;
};

void write_all(const std::string& dir, const std::vector<PendingFile>& files,
               std::vector<std::string> names, Overwrite overwrite) {
    StagedDirectory staged(dir, overwrite, std::move(names));
    for (const PendingFile& f : files) staged.write(f.name, f.bytes, f.mode);
    staged.commit();
}

}  // namespace

CaDirectory load_ca_directory(const std::string& dir) {
    // Whoever may write the directory may swap the key that signs; a missing directory is
    // reported as its missing root file below.
    if (file_facts(dir).exists) check_directory_is_callers(dir);
    std::string root_path = join(dir, kRootCertFile);
    std::string key_path = join(dir, kRootKeyFile);
    std::string cross_path = join(dir, kCrossSignedFile);
    std::string root_pem = read_file(root_path);
    Certificate root = single_certificate(root_path);
    std::string key_text = read_file(key_path);
    PemBundle bundle = parse_pem_or_throw(key_text, key_path);
    PrivateKey key = load_private_key(key_block_of(bundle, key_path), nullptr, key_path);

    std::optional<std::string> cross_pem;
    std::optional<Certificate> cross;
    if (file_facts(cross_path).exists) {
        cross_pem = read_file(cross_path);
        cross = single_certificate(cross_path);
        if (!issued_by(*cross, root, 1))  // the one intermediate under this root
            throw Error(cross_path, "is not signed by this directory's root",
                        "make it with `swarmpki ca cross-sign --old <this root> --new <new root>`");
    }
    const Certificate& signing = cross ? *cross : root;
    if (!key.matches(signing))
        throw Error(key_path, "certificate key mismatch",
                    cross
                        ? "the key must be the new root's, whose cross-signed certificate is in " +
                              cross_path
                        : "put the key that belongs to " + root_path + " here");
    return CaDirectory{std::move(root_pem), std::move(root), std::move(key), std::move(cross_pem),
                       std::move(cross)};
}

void write_ca_directory(const std::string& dir, const RootCa& root, Overwrite overwrite) {
    // The engine keeps its root key as SEC1 `EC PRIVATE KEY`; RSA keys go out as PKCS#8.
    bool ec = EVP_PKEY_get_base_id(root.key.get0()) == EVP_PKEY_EC;
    std::string key_pem = ec ? encode_sec1_pem(root.key) : encode_pkcs8_pem(root.key);
    // --force replaces a CA directory, an intermediate from an earlier rotation with it: it
    // belonged to the old key.
    write_all(dir,
              {{kRootCertFile, root.certificate.to_pem(), 0644}, {kRootKeyFile, key_pem, 0600}},
              {kRootCertFile, kRootKeyFile, kCrossSignedFile}, overwrite);
}

void write_node_directory(const std::string& dir, const NodeFiles& files, Overwrite overwrite) {
    write_all(dir,
              {{kRootCertFile, files.root_pem, 0644},
               {kNodeCertFile, files.chain_pem, 0644},
               {kNodeKeyFile, files.key_pem, 0600}},
              {kRootCertFile, kNodeCertFile, kNodeKeyFile}, overwrite);
}

}  // namespace swarmpki
