#ifndef CS_PLUGIN_JSONL_H
#define CS_PLUGIN_JSONL_H
/* The JSON-lines example plugin's one public name: its descriptor, which
 * the registry lists. */
#include "plugin/plugin.h"

extern const cs_plugin cs_plugin_jsonl;

#endif
