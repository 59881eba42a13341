/* Fuzz target: Mailchimp's application/problem+json answers
 * (mc_fill_problem in src/plugin/mailchimp/mc_client.c), which turn any
 * 4xx/5xx body into the title, detail and request id stored with an
 * outcome. Properties: the fields stay NUL-terminated inside their arrays
 * whatever the body holds (long strings, odd types, huge errors[]). */
#include "fuzz.h"

#include "plugin/mailchimp/mc_transport.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *body = cJSON_ParseWithLength((const char *)data, size);
	mc_result r;
	memset(&r, 0, sizeof(r));
	/* a prefilled title (a transient failure's) must survive a body without one */
	snprintf(r.title, sizeof(r.title), "%s", "before");
	mc_fill_problem(&r, body);
	FUZZ_CHECK(memchr(r.title, '\0', sizeof(r.title)) != NULL);
	FUZZ_CHECK(memchr(r.detail, '\0', sizeof(r.detail)) != NULL);
	FUZZ_CHECK(memchr(r.instance, '\0', sizeof(r.instance)) != NULL);
	if (!cJSON_IsObject(body) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, "title")))
		FUZZ_CHECK(!strcmp(r.title, "before"));
	cJSON_Delete(body);
	return 0;
}
