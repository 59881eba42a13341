/* Fuzz target: daemon-config.json parsing and validation
 * (src/sched/dconfig.c). Properties: a rejection says why; an accepted
 * config prints (cs_dconfig_to_json) to a file that is accepted again and
 * means the same (prints identically), and its lookups stay in range. */
#include "fuzz.h"

#include "sched/dconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	cs_dconfig cfg, again;
	cs_err err = {0};
	if (cs_dconfig_parse(s, "<fuzz>", &cfg, &err) != 0) {
		FUZZ_CHECK(err.msg[0] != '\0');
		free(s);
		return 0;
	}
	cJSON *j = cs_dconfig_to_json(&cfg);
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	if (text) {
		cs_err e2 = {0};
		FUZZ_CHECK(cs_dconfig_parse(text, "<printed>", &again, &e2) == 0);
		cJSON *j2 = cs_dconfig_to_json(&again);
		FUZZ_CHECK(j2 && cJSON_Compare(j, j2, 1));
		cJSON_Delete(j2);
		cs_dconfig_release(&again);
	}
	for (size_t i = 0; i < cfg.norgs; i++) {
		long long org = cfg.orgs[i].org_id;
		FUZZ_CHECK(cs_dconfig_org_find(&cfg, org) == &cfg.orgs[i]);
		for (int k = 0; k < CS_SCHED_JOB_KINDS; k++)
			FUZZ_CHECK(cs_dconfig_interval_ms(&cfg, org, k) > 0);
		long m = cs_dconfig_nightly_minute(&cfg, org);
		FUZZ_CHECK(m == CS_DCONFIG_OFF || (m >= 0 && m < 24 * 60));
	}
	cJSON_free(text);
	cJSON_Delete(j);
	cs_dconfig_release(&cfg);
	free(s);
	return 0;
}
