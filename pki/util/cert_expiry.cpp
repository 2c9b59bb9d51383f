#include "swarmpki/cert_expiry.hpp"

namespace swarmpki {

const char* to_string(CertExpirySource source) {
    switch (source) {
        case CertExpirySource::engine: return "engine";
        case CertExpirySource::flag: return "flag";
    }
    return "flag";
}

}  // namespace swarmpki
