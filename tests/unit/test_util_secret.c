#include "util/secret.h"

#include "util/log.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* bytes 0..31, base64 */
#define KEY_SEQ "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

typedef struct fixture {
	char dir[64];
	cs_config cfg;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/cs-secret-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cfg.key_file, sizeof(f->cfg.key_file), "%s/a/b/master.key", f->dir);
	umask(022);
	cs_log_setup(CS_LOG_WARN, CS_LOG_TEXT);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static unsigned char *load_ok(const cs_config *cfg)
{
	unsigned char *key = NULL;
	cs_err err = {0};
	if (cs_secret_key_load(cfg, NULL, NULL, &key, &err) != 0)
		fail_msg("key load failed: %s", err.msg);
	assert_non_null(key);
	return key;
}

static void test_key_from_env(void **state)
{
	fixture *f = *state;
	strcpy(f->cfg.key_b64, KEY_SEQ "\n");
	unsigned char *key = load_ok(&f->cfg);
	for (int i = 0; i < CS_SECRET_KEY_BYTES; i++)
		assert_int_equal(key[i], i);
	cs_secret_key_free(key);
	/* the key file is not touched when the key comes from the environment */
	assert_int_not_equal(access(f->cfg.key_file, F_OK), 0);
}

static void test_key_from_env_bad(void **state)
{
	fixture *f = *state;
	static const char *const bads[] = {
		"c2hvcnQ=", /* "short" */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gIQ==", /* 34 bytes */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",    /* no padding */
		"not*base64*secretish",
	};
	for (size_t i = 0; i < N(bads); i++) {
		unsigned char *key = (unsigned char *)"sentinel";
		cs_err err = {0};
		strcpy(f->cfg.key_b64, bads[i]);
		assert_int_equal(cs_secret_key_load(&f->cfg, NULL, NULL, &key, &err), CS_EUSAGE);
		assert_null(key);
		assert_non_null(strstr(err.msg, "CLASSY_SYNC_KEY: not a base64 key of 32 bytes"));
		assert_null(strstr(err.msg, bads[i]));
	}
}

static void test_key_file_created(void **state)
{
	fixture *f = *state;
	unsigned char *key = load_ok(&f->cfg);

	struct stat st;
	char parent[128];
	snprintf(parent, sizeof(parent), "%s/a", f->dir);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(parent, sizeof(parent), "%s/a/b", f->dir);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(f->cfg.key_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* the file holds the base64 key and a newline */
	char text[128] = "";
	FILE *fp = fopen(f->cfg.key_file, "r");
	assert_non_null(fp);
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	assert_int_equal(strlen(text), 45);
	assert_int_equal(text[44], '\n');
	unsigned char bin[CS_SECRET_KEY_BYTES];
	size_t len;
	assert_int_equal(sodium_base642bin(bin, sizeof(bin), text, 44, NULL, &len, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(len, CS_SECRET_KEY_BYTES);
	assert_memory_equal(bin, key, CS_SECRET_KEY_BYTES);

	/* a second load reads the same key back instead of making a new one */
	unsigned char *again = load_ok(&f->cfg);
	assert_memory_equal(again, key, CS_SECRET_KEY_BYTES);
	cs_secret_key_free(again);
	cs_secret_key_free(key);
}

static void test_key_file_modes(void **state)
{
	fixture *f = *state;
	snprintf(f->cfg.key_file, sizeof(f->cfg.key_file), "%s/master.key", f->dir);
	static const mode_t refused[] = {0644, 0640, 0604, 0620, 0602, 0660, 0666};
	for (size_t i = 0; i < N(refused); i++) {
		write_file(f->cfg.key_file, KEY_SEQ "\n", refused[i]);
		unsigned char *key = NULL;
		cs_err err = {0};
		char want[2300];
		assert_int_equal(cs_secret_key_load(&f->cfg, NULL, NULL, &key, &err), CS_EUSAGE);
		assert_null(key);
		snprintf(want, sizeof(want),
			 "master key file '%s' is readable by group or others (mode %04o); run "
			 "chmod 600 '%s'",
			 f->cfg.key_file, (unsigned)refused[i], f->cfg.key_file);
		assert_string_equal(err.msg, want);
	}
	static const mode_t accepted[] = {0600, 0400};
	for (size_t i = 0; i < N(accepted); i++) {
		write_file(f->cfg.key_file, KEY_SEQ, accepted[i]);
		unsigned char *key = load_ok(&f->cfg);
		assert_int_equal(key[31], 31);
		cs_secret_key_free(key);
		chmod(f->cfg.key_file, 0600);
	}
}

static void test_key_file_bad_content(void **state)
{
	fixture *f = *state;
	snprintf(f->cfg.key_file, sizeof(f->cfg.key_file), "%s/master.key", f->dir);
	static const char *const bads[] = {"", "\n", "c2hvcnQ=\n", "garbage!!\n",
					   KEY_SEQ KEY_SEQ "\n"};
	for (size_t i = 0; i < N(bads); i++) {
		write_file(f->cfg.key_file, bads[i], 0600);
		unsigned char *key = NULL;
		cs_err err = {0};
		assert_int_equal(cs_secret_key_load(&f->cfg, NULL, NULL, &key, &err), CS_EUSAGE);
		assert_null(key);
		assert_non_null(strstr(err.msg, "does not hold a base64 32-byte key"));
	}
	/* far too long to be a key */
	char big[1024];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(f->cfg.key_file, big, 0600);
	unsigned char *key = NULL;
	cs_err err = {0};
	assert_int_equal(cs_secret_key_load(&f->cfg, NULL, NULL, &key, &err), CS_EUSAGE);
}

static void test_key_file_unusable_paths(void **state)
{
	fixture *f = *state;
	unsigned char *key = NULL;
	cs_err err = {0};

	/* a directory where the file should be */
	snprintf(f->cfg.key_file, sizeof(f->cfg.key_file), "%s", f->dir);
	assert_int_equal(cs_secret_key_load(&f->cfg, NULL, NULL, &key, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "is not a regular file"));

	/* a parent that is a regular file cannot become a directory */
	char blocker[128];
	snprintf(blocker, sizeof(blocker), "%s/blocker", f->dir);
	write_file(blocker, "x", 0600);
	snprintf(f->cfg.key_file, sizeof(f->cfg.key_file), "%s/sub/master.key", blocker);
	assert_int_equal(cs_secret_key_load(&f->cfg, NULL, NULL, &key, &err), CS_EIO);
	assert_non_null(strstr(err.msg, "cannot open master key file"));
	assert_non_null(strstr(err.msg, blocker));
	assert_null(key);

	/* a parent directory that cannot be created, even by root: procfs
	 * refuses mkdir, and the mode of a plain directory would not stop root */
	snprintf(f->cfg.key_file, sizeof(f->cfg.key_file), "/proc/cs-no-such-dir/master.key");
	assert_int_equal(cs_secret_key_load(&f->cfg, NULL, NULL, &key, &err), CS_EIO);
	assert_non_null(strstr(err.msg, "cannot create directory '/proc/cs-no-such-dir'"));
	assert_null(key);

	f->cfg.key_file[0] = '\0';
	assert_int_equal(cs_secret_key_load(&f->cfg, NULL, NULL, &key, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "CLASSY_SYNC_KEY_FILE"));
}

static void test_roundtrip(void **state)
{
	fixture *f = *state;
	strcpy(f->cfg.key_b64, KEY_SEQ);
	unsigned char *key = load_ok(&f->cfg);
	static char big[10001];
	memset(big, 'x', sizeof(big) - 1);
	const char *const texts[] = {"", "a", "client secret with spaces",
				     "ünïcødé ✓ 秘密", "line1\nline2", big};
	for (size_t i = 0; i < N(texts); i++) {
		char *ct = NULL, *pt = NULL;
		cs_err err = {0};
		assert_int_equal(cs_secret_encrypt(key, texts[i], &ct, &err), 0);
		assert_non_null(ct);
		/* base64(nonce || mac || ciphertext) */
		size_t want = sodium_base64_ENCODED_LEN(crypto_secretbox_NONCEBYTES +
								crypto_secretbox_MACBYTES +
								strlen(texts[i]),
							sodium_base64_VARIANT_ORIGINAL) -
			      1;
		assert_int_equal(strlen(ct), want);
		if (strlen(texts[i]) > 4)
			assert_null(strstr(ct, texts[i]));
		assert_int_equal(cs_secret_decrypt(key, ct, &pt, &err), 0);
		assert_string_equal(pt, texts[i]);
		cs_secret_free(pt);
		free(ct);
	}
	cs_secret_key_free(key);
}

static void test_nonce_is_random(void **state)
{
	fixture *f = *state;
	strcpy(f->cfg.key_b64, KEY_SEQ);
	unsigned char *key = load_ok(&f->cfg);
	char *a, *b;
	cs_err err = {0};
	assert_int_equal(cs_secret_encrypt(key, "same", &a, &err), 0);
	assert_int_equal(cs_secret_encrypt(key, "same", &b, &err), 0);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	cs_secret_key_free(key);
}

static void test_wrong_key_and_tampering(void **state)
{
	fixture *f = *state;
	strcpy(f->cfg.key_b64, KEY_SEQ);
	unsigned char *key = load_ok(&f->cfg);
	f->cfg.key_b64[0] = '\0';
	unsigned char *other = load_ok(&f->cfg); /* a fresh random key file */
	char *ct, *pt = (char *)"sentinel";
	cs_err err = {0};
	assert_int_equal(cs_secret_encrypt(key, "s3cret", &ct, &err), 0);

	assert_int_equal(cs_secret_decrypt(other, ct, &pt, &err), CS_EAUTH);
	assert_null(pt);
	assert_string_equal(err.msg, "cannot decrypt the stored secret: the master key does not "
				     "match the one it was encrypted with");

	/* flip one character of the nonce, the MAC and the body in turn */
	size_t at[] = {3, 40, strlen(ct) - 4};
	for (size_t i = 0; i < N(at); i++) {
		char *bad = strdup(ct);
		bad[at[i]] = bad[at[i]] == 'A' ? 'B' : 'A';
		cs_err_clear(&err);
		assert_int_equal(cs_secret_decrypt(key, bad, &pt, &err), CS_EAUTH);
		assert_null(pt);
		free(bad);
	}
	free(ct);
	cs_secret_key_free(key);
	cs_secret_key_free(other);
}

static void test_malformed_ciphertext(void **state)
{
	fixture *f = *state;
	strcpy(f->cfg.key_b64, KEY_SEQ);
	unsigned char *key = load_ok(&f->cfg);
	static const char *const bads[] = {"", "!!!!", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
					   "not base64 at all", "QUJD\n"};
	for (size_t i = 0; i < N(bads); i++) {
		char *pt = (char *)"sentinel";
		cs_err err = {0};
		assert_int_equal(cs_secret_decrypt(key, bads[i], &pt, &err), CS_EPROTO);
		assert_null(pt);
		assert_non_null(strstr(err.msg, "cannot decrypt the stored secret"));
	}
	cs_secret_key_free(key);
}

static void test_free_null(void **state)
{
	(void)state;
	cs_secret_key_free(NULL);
	cs_secret_free(NULL);
}

static int answer(void *arg, cs_err *err)
{
	int a = *(int *)arg;
	return a < 0 ? cs_err_set(err, CS_EIO, "cannot read the organizations") : a;
}

/* A missing key file is made anew only when the caller says no secret
 * needs the old key; otherwise an error names the file, and nothing is
 * made (issue 11, finding 5). */
static void test_key_file_made_only_when_fresh(void **state)
{
	fixture *f = *state;
	unsigned char *key = (unsigned char *)"sentinel";
	cs_err err = {0};
	int fresh = 0;
	assert_int_equal(cs_secret_key_load(&f->cfg, answer, &fresh, &key, &err), CS_ENOTFOUND);
	assert_null(key);
	assert_non_null(strstr(err.msg, f->cfg.key_file));
	assert_non_null(strstr(err.msg, "the database holds organization credentials"));
	assert_int_not_equal(access(f->cfg.key_file, F_OK), 0);
	fresh = -1;
	assert_int_equal(cs_secret_key_load(&f->cfg, answer, &fresh, &key, &err), CS_EIO);
	assert_non_null(strstr(err.msg, "cannot read the organizations"));
	assert_int_not_equal(access(f->cfg.key_file, F_OK), 0);
	fresh = 1;
	assert_int_equal(cs_secret_key_load(&f->cfg, answer, &fresh, &key, &err), 0);
	cs_secret_key_free(key);
	assert_int_equal(access(f->cfg.key_file, F_OK), 0);
	/* an existing file is read whatever the answer */
	fresh = 0;
	assert_int_equal(cs_secret_key_load(&f->cfg, answer, &fresh, &key, &err), 0);
	cs_secret_key_free(key);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_key_from_env),         T(test_key_from_env_bad),
		T(test_key_file_created),     T(test_key_file_modes),
		T(test_key_file_bad_content), T(test_key_file_unusable_paths),
		T(test_roundtrip),            T(test_nonce_is_random),
		T(test_wrong_key_and_tampering), T(test_malformed_ciphertext),
		T(test_free_null),            T(test_key_file_made_only_when_fresh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
