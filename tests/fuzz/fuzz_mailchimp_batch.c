/* Fuzz target: the /batches results reader (mc_batch_apply_results in
 * src/plugin/mailchimp/mc_batch.c): a tar.gz of JSON arrays of
 * {operation_id, status_code, response} matched to the operations sent.
 * With the first byte even, the rest of the input is the archive itself (the
 * gzip and tar layers); odd, it is one results file that the target packs
 * into a valid archive first, so the fuzzer works on the JSON and the
 * matching. Properties: no crash or leak, a damaged archive says why, and
 * every result lands on the operation with that id, never another. */
#include "fuzz.h"

#include "plugin/mailchimp/mc_transport.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>

#define NOPS 8

static size_t pack(const uint8_t *data, size_t size, char *out, size_t cap)
{
	struct archive *a = archive_write_new();
	size_t used = 0;
	if (!a)
		abort();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_memory(a, out, cap, &used) != ARCHIVE_OK)
		abort();
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "results/0.json");
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (size && archive_write_data(a, data, size) != (la_ssize_t)size))
		abort();
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 20)
		return 0;
	static char *packed;
	static size_t cap;
	const char *arch = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] & 1) {
		size_t need = 2 * size + 4096; /* gzip may grow random bytes a little */
		if (need > cap) {
			free(packed);
			packed = malloc(cap = need);
			if (!packed)
				abort();
		}
		len = pack(data + 1, size - 1, packed, cap);
		arch = packed;
	}
	mc_op ops[NOPS];
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < NOPS; i++)
		snprintf(ops[i].id, sizeof(ops[i].id), "%c%d", i % 2 ? 't' : 'p', i / 2);
	char why[256] = "";
	if (mc_batch_apply_results(ops, NOPS, "fuzz-batch", arch, len, why, sizeof(why)) < 0)
		FUZZ_CHECK(why[0] != '\0');
	/* in the packed form the harness can read the file itself: a result
	 * must come from an entry naming that operation with that status */
	cJSON *arr = data[0] & 1 ? cJSON_ParseWithLength((const char *)data + 1, size - 1) : NULL;
	for (int i = 0; i < NOPS; i++) {
		mc_result *r = &ops[i].res;
		if (arr && r->status) {
			int found = 0;
			const cJSON *it;
			cJSON_ArrayForEach(it, arr)
			{
				const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "operation_id");
				const cJSON *sc = cJSON_GetObjectItemCaseSensitive(it, "status_code");
				found |= cJSON_IsString(id) && !strcmp(id->valuestring, ops[i].id) &&
					 cJSON_IsNumber(sc) && sc->valuedouble == (double)r->status;
			}
			FUZZ_CHECK(found);
		}
		FUZZ_CHECK(memchr(r->title, '\0', sizeof(r->title)) != NULL);
		FUZZ_CHECK(memchr(r->detail, '\0', sizeof(r->detail)) != NULL);
		mc_result_release(r);
	}
	cJSON_Delete(arr);
	return 0;
}
