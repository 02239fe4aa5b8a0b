// Copyright idgen authors.
#include "src/security/certificate_set.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/security/openssl_handles.h"

namespace idgen::security {
namespace {

absl::Status Bad(absl::string_view flag, const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(flag, " \"", path, "\"", what));
}

absl::StatusOr<std::string> ReadFile(absl::string_view flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    // An empty file reads as a failed stream insertion, too.
    if (in.is_open()) return std::string();
    return Bad(flag, path, ": cannot be read (missing or no permission)");
  }
  return text.str();
}

BioPtr MemoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

absl::StatusOr<X509Ptr> FirstCertificate(absl::string_view flag, const std::string& path,
                                         const std::string& text) {
  BioPtr bio = MemoryBio(text);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return Bad(flag, path, absl::StrCat(": no PEM certificate in it (", OpenSslReason(), ")"));
  }
  return cert;
}

absl::StatusOr<absl::Time> AsTime(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("certificate has an unreadable validity time");
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

std::string SerialHex(const X509* cert) {
  std::unique_ptr<BIGNUM, void (*)(BIGNUM*)> bn(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), BN_free);
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  return out;
}

// `openssl rehash` names: 8 hex digits of the issuer name hash, ".r", a number.
bool IsHashedCrlName(const std::string& name) {
  if (name.size() < 11 || name.substr(8, 2) != ".r") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (i == 8 || i == 9) continue;
    const char c = name[i];
    if (i < 8 ? !absl::ascii_isxdigit(c) : !absl::ascii_isdigit(c)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> LoadCrlDirectory(const std::string& dir) {
  std::map<std::string, std::string> crls;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Bad("--tls-crl-dir", dir, absl::StrCat(": cannot be listed (", ec.message(), ")"));
  for (const std::filesystem::directory_entry& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!IsHashedCrlName(name)) continue;
    const std::string path = entry.path().string();
    absl::StatusOr<std::string> text = ReadFile("--tls-crl-dir", path);
    if (!text.ok()) return text.status();
    BioPtr bio = MemoryBio(*text);
    CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (crl == nullptr) {
      return Bad("--tls-crl-dir", path, absl::StrCat(": no PEM CRL in it (", OpenSslReason(), ")"));
    }
    crls[name] = *std::move(text);
  }
  if (crls.empty()) {
    return Bad("--tls-crl-dir", dir,
               ": no hashed CRL file in it (run `openssl rehash` on the directory)");
  }
  return crls;
}

absl::Status AddCrlsToStore(X509_STORE* store, const std::map<std::string, std::string>& crls,
                            absl::string_view what, const std::string& dir) {
  for (const auto& [name, pem] : crls) {
    BioPtr bio = MemoryBio(pem);
    CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (crl == nullptr || X509_STORE_add_crl(store, crl.get()) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          absl::StrCat(what, " \"", dir, "/", name, "\": cannot be loaded"));
    }
  }
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return absl::OkStatus();
}

absl::StatusOr<CertificateSet> LoadCertificateSet(const TlsServerConfig& config, absl::Time now) {
  CertificateSet set;
  absl::StatusOr<std::string> cert_text = ReadFile("--tls-cert", config.cert_file);
  if (!cert_text.ok()) return cert_text.status();
  set.cert_pem = *std::move(cert_text);
  absl::StatusOr<X509Ptr> cert = FirstCertificate("--tls-cert", config.cert_file, set.cert_pem);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<absl::Time> not_before = AsTime(X509_get0_notBefore(cert->get()));
  absl::StatusOr<absl::Time> not_after = AsTime(X509_get0_notAfter(cert->get()));
  if (!not_after.ok() || !not_before.ok()) {
    return Bad("--tls-cert", config.cert_file, ": certificate has an unreadable validity time");
  }
  if (*not_after <= now) {
    return Bad("--tls-cert", config.cert_file,
               absl::StrCat(": expired at ", absl::FormatTime(*not_after)));
  }
  if (*not_before > now) {
    return Bad("--tls-cert", config.cert_file,
               absl::StrCat(": not valid before ", absl::FormatTime(*not_before)));
  }
  set.not_after = *not_after;
  set.serial_hex = SerialHex(cert->get());

  if (config.check_key_permissions) {
    struct stat st {};
    if (::stat(config.key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      return Bad("--tls-key", config.key_file,
                 absl::StrCat(" may be read by group or others (mode ",
                              absl::StrFormat("%04o", st.st_mode & 07777),
                              "): chmod 600 it, or set IDGEN_SKIP_KEY_PERMISSION_CHECK=1 to "
                              "accept that"));
    }
  }
  absl::StatusOr<std::string> key_text = ReadFile("--tls-key", config.key_file);
  if (!key_text.ok()) return key_text.status();
  set.key_pem = *std::move(key_text);
  BioPtr key_bio = MemoryBio(set.key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return Bad("--tls-key", config.key_file,
               absl::StrCat(": no unencrypted PEM private key in it (", OpenSslReason(), ")"));
  }
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    ERR_clear_error();
    return Bad("--tls-key", config.key_file,
               absl::StrCat(" does not belong to the certificate in \"", config.cert_file, "\""));
  }

  if (!config.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca_text = ReadFile("--tls-client-ca", config.client_ca_file);
    if (!ca_text.ok()) return ca_text.status();
    set.ca_pem = *std::move(ca_text);
    absl::StatusOr<X509Ptr> ca =
        FirstCertificate("--tls-client-ca", config.client_ca_file, set.ca_pem);
    if (!ca.ok()) return ca.status();
  }
  if (!config.crl_dir.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> crls = LoadCrlDirectory(config.crl_dir);
    if (!crls.ok()) return crls.status();
    set.crls = *std::move(crls);
  }
  return set;
}

}  // namespace idgen::security
