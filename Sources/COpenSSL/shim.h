// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but they are the only way
// to copy a hash state without an allocation, which the precomputed HMAC below needs, and they (with
// MD5_* and SHA1_*) hash short inputs several times faster than EVP (Digest.swift).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/md5.h>
#include <string.h>

/// HMAC-SHA256 (RFC 2104) with the key schedule done once: the SHA-256 states after the inner and
/// outer padded key blocks. A MAC then costs two state copies (plain struct copies, no allocation)
/// and the hashing itself: EVP_MAC_init re-duplicates a provider context for every message.
typedef struct {
    SHA256_CTX inner;
    SHA256_CTX outer;
} vigil_hmac_sha256_key;

static inline void vigil_hmac_sha256_init(vigil_hmac_sha256_key *k, const unsigned char *key, size_t length) {
    unsigned char block[SHA256_CBLOCK];
    unsigned char pad[SHA256_CBLOCK];
    memset(block, 0, sizeof block);
    if (length > SHA256_CBLOCK) {
        SHA256(key, length, block);  // RFC 2104: a key longer than a block is hashed first
    } else if (length > 0) {
        memcpy(block, key, length);
    }
    for (size_t i = 0; i < SHA256_CBLOCK; i++) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&k->inner);
    SHA256_Update(&k->inner, pad, SHA256_CBLOCK);
    for (size_t i = 0; i < SHA256_CBLOCK; i++) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&k->outer);
    SHA256_Update(&k->outer, pad, SHA256_CBLOCK);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
}

static inline void vigil_hmac_sha256(
    const vigil_hmac_sha256_key *k, const void *data, size_t length, unsigned char out[SHA256_DIGEST_LENGTH]) {
    SHA256_CTX ctx = k->inner;
    unsigned char inner[SHA256_DIGEST_LENGTH];
    SHA256_Update(&ctx, data, length);
    SHA256_Final(inner, &ctx);
    ctx = k->outer;
    SHA256_Update(&ctx, inner, SHA256_DIGEST_LENGTH);
    SHA256_Final(out, &ctx);
}
