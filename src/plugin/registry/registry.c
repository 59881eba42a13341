/* The push plugins built into this binary, registered statically by name.
 * A new destination adds its header and descriptor here and nothing else
 * in the core. This file only lists descriptors: it must never hold a
 * plugin's code or anything the host needs (the host library sits below
 * the plugins, this one above them). */
#include "plugin/registry/registry.h"

#include "plugin/jsonl/jsonl.h"
#include "plugin/mailchimp/mailchimp.h"

#include <string.h>

const cs_plugin *const cs_plugin_registry[] = {&cs_plugin_mailchimp, &cs_plugin_jsonl, NULL};

const cs_plugin *cs_plugin_registry_find(const char *name)
{
	for (size_t i = 0; cs_plugin_registry[i]; i++)
		if (!strcmp(cs_plugin_registry[i]->name, name))
			return cs_plugin_registry[i];
	return NULL;
}
