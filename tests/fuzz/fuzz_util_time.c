/* Fuzz target: ISO 8601 parsing (src/util/timeutil.c), which every
 * updated_at, cursor and filter goes through. Properties: anything accepted
 * formats (stored form, filter form) and normalises to text that parses back
 * to the same instant, within the years the formats can spell (1..9999). */
#include "fuzz.h"

#include "util/timeutil.h"

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in ms */
#define MIN_MS (-62135596800000LL)
#define MAX_MS (253402300799999LL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	int64_t ms, again;
	int has_ms;
	char out[CS_TIME_BUFSZ], norm[CS_TIME_BUFSZ];
	if (cs_time_parse(s, &ms, &has_ms) == 0) {
		FUZZ_CHECK(cs_time_normalize(s, norm) == 0);
		if (ms >= MIN_MS && ms <= MAX_MS) {
			cs_time_format(ms, 1, out);
			FUZZ_CHECK(cs_time_parse(out, &again, NULL) == 0 && again == ms);
			cs_time_format_filter(ms, out);
			FUZZ_CHECK(cs_time_parse(out, &again, NULL) == 0 &&
				   again == ms - (((ms % 1000) + 1000) % 1000));
			int64_t n;
			FUZZ_CHECK(cs_time_parse(norm, &n, NULL) == 0);
			/* a bare date normalises to itself; a datetime to the instant */
			FUZZ_CHECK(strlen(norm) == 10 || n == ms);
		}
	} else {
		FUZZ_CHECK(cs_time_normalize(s, norm) == -1);
	}
	/* the formatter takes any int64 without overflowing its buffer */
	if (size >= 8) {
		int64_t any;
		memcpy(&any, data, sizeof(any));
		cs_time_format(any, 1, out);
		FUZZ_CHECK(strlen(out) < CS_TIME_BUFSZ);
		cs_time_format_filter(any, out);
		FUZZ_CHECK(strlen(out) < CS_TIME_BUFSZ);
	}
	free(s);
	return 0;
}
