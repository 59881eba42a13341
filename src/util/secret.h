#ifndef CS_SECRET_H
#define CS_SECRET_H
/* Master key handling and secretbox encryption of org credentials. */
#include "util/err.h"
#include "util/config.h"

#include <stddef.h>

#define CS_SECRET_KEY_BYTES 32 /* crypto_secretbox_KEYBYTES */

/* Asked before a new key file is made: 1 when no secret encrypted with an
 * earlier key exists (a new key is safe), 0 when one does, negative (err
 * set) when it cannot tell. The command layer answers from the database. */
typedef int (*cs_secret_fresh_fn)(void *arg, cs_err *err);

/* Loads the master key: from cfg->key_b64 (CLASSY_SYNC_KEY) when set, else
 * from cfg->key_file, creating it (mode 0600, parent dirs 0700) with a fresh
 * random key on first use, but only when fresh(arg) says no secret needs an
 * earlier key (fresh NULL: always). A missing key file while secrets exist
 * is an error naming the file and what to do: a new key would leave those
 * secrets unreadable, and later ones under a second key. Refuses a key
 * file that is group- or world-readable, or that does not hold a base64
 * 32-byte key. The key lives in sodium_malloc'd memory; release it with
 * cs_secret_key_free. */
int cs_secret_key_load(const cs_config *cfg, cs_secret_fresh_fn fresh, void *arg,
		       unsigned char **key, cs_err *err);
void cs_secret_key_free(unsigned char *key);

/* Encrypts plaintext to base64(nonce || secretbox(ciphertext)).
 * *out is malloc'd; free() it. */
int cs_secret_encrypt(const unsigned char *key, const char *plaintext, char **out, cs_err *err);
/* Decrypts what cs_secret_encrypt produced. *out is sodium_malloc'd so it can
 * be wiped, and registered for redaction (util/redact.h) until it is
 * released with cs_secret_free. cs_secret_key_load registers the key's base64
 * text the same way. A wrong key or tampered data fails
 * with a message saying the master key does not match. */
int cs_secret_decrypt(const unsigned char *key, const char *b64, char **out, cs_err *err);
void cs_secret_free(char *plaintext);

#endif
