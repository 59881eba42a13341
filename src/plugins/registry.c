/* The push plugins built into this binary, registered statically by name.
 * A new destination adds its descriptor here and nothing else in the core. */
#include "plugin/plugin.h"

#include <string.h>

extern const cs_plugin cs_plugin_mailchimp;
extern const cs_plugin cs_plugin_jsonl;

const cs_plugin *const cs_plugins[] = {&cs_plugin_mailchimp, &cs_plugin_jsonl, NULL};

const cs_plugin *cs_plugin_find(const char *name)
{
	for (size_t i = 0; cs_plugins[i]; i++)
		if (!strcmp(cs_plugins[i]->name, name))
			return cs_plugins[i];
	return NULL;
}
