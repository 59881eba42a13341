/* The master key (from CLASSY_SYNC_KEY or a 0600 key file created on first
 * use) and the secretbox encryption of org credentials. Keys and plaintexts
 * live in sodium_malloc'd memory and are wiped on free; this file must never
 * log, print or return a secret in a message. */
#include "util/secret.h"

#include "util/log.h"
#include "util/redact.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(CS_SECRET_KEY_BYTES == crypto_secretbox_KEYBYTES, "CS_SECRET_KEY_BYTES");

#define B64 sodium_base64_VARIANT_ORIGINAL
#define B64_IGNORE " \t\r\n"
#define KEY_FILE_MAX 256 /* a base64 key and newline are 45 bytes */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_sodium_rc;

static void sodium_init_once(void)
{
	g_sodium_rc = sodium_init() < 0 ? -1 : 0;
}

static int ensure_sodium(cs_err *err)
{
	pthread_once(&g_once, sodium_init_once);
	if (g_sodium_rc)
		return cs_err_set(err, CS_ERR, "cannot initialise libsodium; check that "
					       "/dev/urandom is readable");
	return 0;
}

/* Decodes base64 text into a 32-byte key; -1 unless it is exactly that. */
static int decode_key(const char *b64, size_t n, unsigned char *key)
{
	unsigned char tmp[CS_SECRET_KEY_BYTES + 1];
	size_t len = 0;
	int rc = sodium_base642bin(tmp, sizeof(tmp), b64, n, B64_IGNORE, &len, NULL, B64);
	if (rc == 0 && len == CS_SECRET_KEY_BYTES)
		memcpy(key, tmp, CS_SECRET_KEY_BYTES);
	sodium_memzero(tmp, sizeof(tmp));
	return rc == 0 && len == CS_SECRET_KEY_BYTES ? 0 : -1;
}

/* mkdir -p for the directories above path, each new one 0700. */
static int make_parents(const char *path, cs_err *err)
{
	char dir[sizeof(((cs_config *)0)->key_file)];
	size_t n = strlen(path);
	if (n >= sizeof(dir))
		return cs_err_set(err, CS_EUSAGE, "CLASSY_SYNC_KEY_FILE: path '%s' is too long",
				  path);
	memcpy(dir, path, n + 1);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return cs_err_set(err, CS_EIO,
					  "cannot create directory '%s' for the master key file: %s",
					  dir, strerror(errno));
		*p = '/';
	}
	return 0;
}

static int write_new_key(const char *path, int fd, unsigned char *key, cs_err *err)
{
	char b64[sodium_base64_ENCODED_LEN(CS_SECRET_KEY_BYTES, B64) + 1];
	randombytes_buf(key, CS_SECRET_KEY_BYTES);
	sodium_bin2base64(b64, sizeof(b64) - 1, key, CS_SECRET_KEY_BYTES, B64);
	size_t n = strlen(b64);
	b64[n++] = '\n';
	int rc = 0;
	if (write(fd, b64, n) != (ssize_t)n || fsync(fd))
		rc = cs_err_set(err, CS_EIO, "cannot write master key file '%s': %s", path,
				strerror(errno ? errno : EIO));
	sodium_memzero(b64, sizeof(b64));
	return rc;
}

/* Returns 0 after creating the file, 1 when it already existed. */
static int create_key_file(const char *path, unsigned char *key, cs_err *err)
{
	int rc = make_parents(path, err);
	if (rc)
		return rc;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return 1; /* another process won the race: read theirs */
	if (fd < 0)
		return cs_err_set(err, CS_EIO, "cannot create master key file '%s': %s", path,
				  strerror(errno));
	errno = 0;
	rc = write_new_key(path, fd, key, err);
	if (close(fd) && !rc)
		rc = cs_err_set(err, CS_EIO, "cannot write master key file '%s': %s", path,
				strerror(errno));
	if (rc) {
		unlink(path);
		return rc;
	}
	cs_info("created master key file '%s'; back it up, stored secrets need it", path);
	return 0;
}

static int check_key_stat(const char *path, int fd, cs_err *err)
{
	struct stat st;
	if (fstat(fd, &st))
		return cs_err_set(err, CS_EIO, "cannot stat master key file '%s': %s", path,
				  strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cs_err_set(err, CS_EUSAGE,
				  "master key file '%s' is not a regular file; point "
				  "CLASSY_SYNC_KEY_FILE at a file",
				  path);
	if (st.st_mode & 077)
		return cs_err_set(err, CS_EUSAGE,
				  "master key file '%s' is readable by group or others (mode %04o); "
				  "run chmod 600 '%s'",
				  path, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

static int read_key_file(const char *path, int fd, unsigned char *key, cs_err *err)
{
	int rc = check_key_stat(path, fd, err);
	if (rc)
		return rc;
	char *buf = sodium_malloc(KEY_FILE_MAX);
	if (!buf)
		return cs_err_set(err, CS_ERR, "cannot read master key file '%s': out of memory",
				  path);
	ssize_t n = read(fd, buf, KEY_FILE_MAX);
	if (n < 0)
		rc = cs_err_set(err, CS_EIO, "cannot read master key file '%s': %s", path,
				strerror(errno));
	else if (n == KEY_FILE_MAX || decode_key(buf, (size_t)n, key))
		rc = cs_err_set(err, CS_EUSAGE,
				"master key file '%s' does not hold a base64 %d-byte key; restore "
				"it from a backup",
				path, CS_SECRET_KEY_BYTES);
	sodium_free(buf);
	return rc;
}

/* A missing key file: made anew only when no stored secret needs the old
 * key (issue 11, finding 5). */
static int may_create(const char *path, cs_secret_fresh_fn fresh, void *arg, cs_err *err)
{
	int ok = fresh ? fresh(arg, err) : 1;
	if (ok < 0)
		return cs_err_wrap(err, "master key file '%s' is missing and the stored credentials "
					"cannot be checked", path);
	if (ok == 0)
		return cs_err_set(err, CS_ENOTFOUND,
				  "master key file '%s' is missing, but the database holds "
				  "organization credentials encrypted with a master key: restore the "
				  "file from a backup (or set CLASSY_SYNC_KEY to that key); if the key "
				  "is lost, remove every organization with 'classy-sync org remove ID' "
				  "(their synced data is kept) and add them again with 'classy-sync org "
				  "add', which makes a new key",
				  path);
	return 0;
}

static int load_key_file(const char *path, cs_secret_fresh_fn fresh, void *arg,
			 unsigned char *key, cs_err *err)
{
	if (!*path)
		return cs_err_set(err, CS_EUSAGE,
				  "no master key: set CLASSY_SYNC_KEY_FILE or CLASSY_SYNC_KEY");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		int rc = may_create(path, fresh, arg, err);
		if (rc)
			return rc;
		rc = create_key_file(path, key, err);
		if (rc <= 0)
			return rc;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return cs_err_set(err, CS_EIO, "cannot open master key file '%s': %s", path,
				  strerror(errno));
	int rc = read_key_file(path, fd, key, err);
	close(fd);
	return rc;
}

/* The key's base64 text is what a file, an environment dump or a message
 * would show: register it for redaction (util/redact.h). */
static int register_key(const unsigned char *key)
{
	size_t n = sodium_base64_ENCODED_LEN(CS_SECRET_KEY_BYTES, B64);
	char *b64 = sodium_malloc(n);
	if (!b64)
		return -1;
	sodium_bin2base64(b64, n, key, CS_SECRET_KEY_BYTES, B64);
	int rc = cs_redact_add(b64);
	sodium_free(b64);
	return rc;
}

int cs_secret_key_load(const cs_config *cfg, cs_secret_fresh_fn fresh, void *arg,
		       unsigned char **out, cs_err *err)
{
	*out = NULL;
	int rc = ensure_sodium(err);
	if (rc)
		return rc;
	/* sodium_malloc already mlocks the page where the OS allows it and
	 * puts guard pages around it */
	unsigned char *key = sodium_malloc(CS_SECRET_KEY_BYTES);
	if (!key)
		return cs_err_set(err, CS_ERR, "cannot allocate memory for the master key");
	if (cfg->key_b64[0]) {
		if (decode_key(cfg->key_b64, strlen(cfg->key_b64), key))
			rc = cs_err_set(err, CS_EUSAGE,
					"CLASSY_SYNC_KEY: not a base64 key of %d bytes; generate one "
					"with 'head -c 32 /dev/urandom | base64'",
					CS_SECRET_KEY_BYTES);
	} else {
		rc = load_key_file(cfg->key_file, fresh, arg, key, err);
	}
	if (rc == 0 && register_key(key))
		rc = cs_err_set(err, CS_ERR, "cannot load the master key: out of memory");
	if (rc) {
		sodium_free(key);
		return rc;
	}
	*out = key;
	return 0;
}

void cs_secret_key_free(unsigned char *key)
{
	sodium_free(key);
}

int cs_secret_encrypt(const unsigned char *key, const char *plaintext, char **out, cs_err *err)
{
	*out = NULL;
	int rc = ensure_sodium(err);
	if (rc)
		return rc;
	size_t n = strlen(plaintext);
	size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
	size_t b64len = sodium_base64_ENCODED_LEN(blen, B64);
	unsigned char *box = malloc(blen);
	char *b64 = malloc(b64len);
	if (!box || !b64) {
		rc = cs_err_set(err, CS_ERR, "cannot encrypt the secret: out of memory");
		goto out;
	}
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plaintext,
			      n, box, key);
	sodium_bin2base64(b64, b64len, box, blen, B64);
	*out = b64;
	b64 = NULL;
out:
	free(box);
	free(b64);
	return rc;
}

int cs_secret_decrypt(const unsigned char *key, const char *b64, char **out, cs_err *err)
{
	*out = NULL;
	int rc = ensure_sodium(err);
	if (rc)
		return rc;
	size_t n = strlen(b64), blen = 0;
	unsigned char *box = malloc(n / 4 * 3 + 3);
	char *pt = NULL;
	if (!box) {
		rc = cs_err_set(err, CS_ERR, "cannot decrypt the stored secret: out of memory");
		goto out;
	}
	if (sodium_base642bin(box, n / 4 * 3 + 3, b64, n, NULL, &blen, NULL, B64) ||
	    blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
		rc = cs_err_set(err, CS_EPROTO,
				"cannot decrypt the stored secret: it is not valid ciphertext; "
				"remove the organization and add it again");
		goto out;
	}
	size_t clen = blen - crypto_secretbox_NONCEBYTES;
	size_t plen = clen - crypto_secretbox_MACBYTES;
	pt = sodium_malloc(plen + 1);
	if (!pt) {
		rc = cs_err_set(err, CS_ERR, "cannot decrypt the stored secret: out of memory");
		goto out;
	}
	if (crypto_secretbox_open_easy((unsigned char *)pt, box + crypto_secretbox_NONCEBYTES,
				       clen, box, key)) {
		rc = cs_err_set(err, CS_EAUTH,
				"cannot decrypt the stored secret: the master key does not match "
				"the one it was encrypted with");
		goto out;
	}
	pt[plen] = '\0';
	/* A decrypted credential is a secret from now on, in every message. */
	if (cs_redact_add(pt)) {
		rc = cs_err_set(err, CS_ERR, "cannot decrypt the stored secret: out of memory");
		goto out;
	}
	*out = pt;
	pt = NULL;
out:
	free(box);
	sodium_free(pt);
	return rc;
}

void cs_secret_free(char *plaintext)
{
	if (plaintext)
		cs_redact_remove(plaintext);
	sodium_free(plaintext);
}
