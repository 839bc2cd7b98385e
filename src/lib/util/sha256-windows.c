/* SHA-256 through Windows' BCrypt (see sha256.h). */
#include <windows.h>
#include <bcrypt.h>
#include <errno.h>

#include "util/sha256.h"

int sha256_digest(const void *buf, size_t len, unsigned char md[SHA256_LEN])
{
	BCRYPT_ALG_HANDLE alg = NULL;
	BCRYPT_HASH_HANDLE hash = NULL;
	NTSTATUS st;

	if (len > ULONG_MAX)
		return -ENOMEM;
	st = BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA256_ALGORITHM, NULL, 0);
	if (BCRYPT_SUCCESS(st))
		st = BCryptCreateHash(alg, &hash, NULL, 0, NULL, 0, 0);
	if (BCRYPT_SUCCESS(st))
		st = BCryptHashData(hash, (PUCHAR)buf, (ULONG)len, 0);
	if (BCRYPT_SUCCESS(st))
		st = BCryptFinishHash(hash, md, SHA256_LEN, 0);
	if (hash)
		BCryptDestroyHash(hash);
	if (alg)
		BCryptCloseAlgorithmProvider(alg, 0);
	return BCRYPT_SUCCESS(st) ? 0 : -ENOMEM;
}
