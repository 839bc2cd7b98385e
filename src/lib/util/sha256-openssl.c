/* SHA-256 through OpenSSL (see sha256.h). */
#include <errno.h>
#include <openssl/evp.h>

#include "util/sha256.h"

int sha256_digest(const void *buf, size_t len, unsigned char md[SHA256_LEN])
{
	unsigned int mdlen = 0;

	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != SHA256_LEN)
		return -ENOMEM;
	return 0;
}
